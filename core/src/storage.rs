//! Object storage for immutable skill archives, on any S3-compatible server.

use std::{path::Path, time::Duration};

use aws_sdk_s3::{
    Client,
    config::{BehaviorVersion, Credentials, Region},
    error::{DisplayErrorContext, SdkError},
    presigning::PresigningConfig,
    primitives::ByteStream,
};

use crate::config::S3Settings;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object storage request `{operation}` for `{key}` failed: {message}")]
    Request {
        operation: &'static str,
        key: String,
        message: String,
    },
    #[error("reading `{path}` for upload failed: {message}")]
    LocalFile { path: String, message: String },
    #[error("invalid presign expiry: {0}")]
    Presign(String),
}

impl StorageError {
    fn request<E, R>(operation: &'static str, key: &str, error: SdkError<E, R>) -> Self
    where
        E: std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        Self::Request {
            operation,
            key: key.to_string(),
            message: DisplayErrorContext(&error).to_string(),
        }
    }
}

/// A bucket on an S3-compatible server.
#[derive(Clone, Debug)]
pub struct ObjectStore {
    client: Client,
    bucket: String,
}

impl ObjectStore {
    /// Builds a client from settings alone: static credentials, explicit region and endpoint,
    /// so nothing is looked up from the host's AWS profile or instance metadata.
    pub fn new(settings: &S3Settings) -> Self {
        let credentials = Credentials::new(
            settings.access_key.clone(),
            settings.secret_key.clone(),
            None,
            None,
            "skilldex-settings",
        );
        let mut config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .credentials_provider(credentials)
            .force_path_style(settings.force_path_style);
        if let Some(endpoint) = &settings.endpoint {
            config = config.endpoint_url(endpoint.as_str().trim_end_matches('/'));
        }
        Self {
            client: Client::from_conf(config.build()),
            bucket: settings.bucket.clone(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Confirms the bucket exists and the credentials can reach it (health checks).
    pub async fn check(&self) -> Result<(), StorageError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StorageError::request("HeadBucket", "", e))
    }

    /// Stores bytes under `key`.
    pub async fn put_bytes(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StorageError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StorageError::request("PutObject", key, e))
    }

    /// Streams a local file to `key` without loading it into memory.
    pub async fn put_file(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<(), StorageError> {
        let body = ByteStream::from_path(path)
            .await
            .map_err(|e| StorageError::LocalFile {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StorageError::request("PutObject", key, e))
    }

    /// Reads a whole object; `Ok(None)` when it does not exist. For small objects only:
    /// archives are served by presigned URL or streamed.
    pub async fn get_bytes(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let response = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(response) => response,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                return Ok(None);
            }
            Err(e) => return Err(StorageError::request("GetObject", key, e)),
        };
        let data = response
            .body
            .collect()
            .await
            .map_err(|e| StorageError::Request {
                operation: "GetObject",
                key: key.to_string(),
                message: e.to_string(),
            })?;
        Ok(Some(data.into_bytes().to_vec()))
    }

    /// Whether an object exists under `key` (content-addressed uploads skip existing keys).
    pub async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
            Err(e) => Err(StorageError::request("HeadObject", key, e)),
        }
    }

    /// Every key under `prefix`, in key order (all pages of `ListObjectsV2`): what a sync
    /// left in the bucket, for audits and tests.
    pub async fn list_keys(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| StorageError::request("ListObjectsV2", prefix, e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
        }
        keys.sort();
        Ok(keys)
    }

    /// Creates the bucket (setting up a server, or a test's own bucket); an existing bucket
    /// owned by these credentials is fine.
    pub async fn create_bucket(&self) -> Result<(), StorageError> {
        match self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error().is_some_and(|s| {
                    s.is_bucket_already_owned_by_you() || s.is_bucket_already_exists()
                }) =>
            {
                Ok(())
            }
            Err(e) => Err(StorageError::request("CreateBucket", &self.bucket, e)),
        }
    }

    /// Deletes the (empty) bucket.
    pub async fn delete_bucket(&self) -> Result<(), StorageError> {
        self.client
            .delete_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StorageError::request("DeleteBucket", &self.bucket, e))
    }

    /// Deletes `key`; deleting a missing key succeeds, as in S3.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StorageError::request("DeleteObject", key, e))
    }

    /// A URL that lets anyone GET `key` for `expires_in`.
    pub async fn presigned_get(
        &self,
        key: &str,
        expires_in: Duration,
    ) -> Result<String, StorageError> {
        let config = PresigningConfig::expires_in(expires_in)
            .map_err(|e| StorageError::Presign(e.to_string()))?;
        self.client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map(|request| request.uri().to_string())
            .map_err(|e| StorageError::request("PresignGetObject", key, e))
    }
}
