//! ObjectStore against the real S3 server that `make test` starts.

use std::time::Duration;

use skilldex_core::storage::ObjectStore;
use skilldex_test_support::s3_settings;

fn unique_key(name: &str) -> String {
    format!("tests/{}/{name}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn put_get_head_delete_round_trip() {
    let store = ObjectStore::new(&s3_settings());
    store.check().await.expect("bucket reachable");

    let key = unique_key("hello.txt");
    assert!(!store.exists(&key).await.unwrap());
    assert_eq!(store.get_bytes(&key).await.unwrap(), None);

    store
        .put_bytes(&key, b"hello object storage".to_vec(), "text/plain")
        .await
        .expect("put");
    assert!(store.exists(&key).await.unwrap());
    assert_eq!(
        store.get_bytes(&key).await.unwrap().as_deref(),
        Some(&b"hello object storage"[..])
    );

    store.delete(&key).await.expect("delete");
    assert!(!store.exists(&key).await.unwrap());
    // Deleting again is not an error, as in S3.
    store.delete(&key).await.expect("second delete");
}

#[tokio::test]
async fn put_file_streams_from_disk_and_presigned_url_serves_it() {
    let store = ObjectStore::new(&s3_settings());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("archive.bin");
    let content: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();

    let key = unique_key("archive.bin");
    store
        .put_file(&key, &path, "application/octet-stream")
        .await
        .expect("put_file");

    let url = store
        .presigned_get(&key, Duration::from_secs(60))
        .await
        .expect("presign");
    let body = reqwest::get(&url)
        .await
        .expect("GET presigned URL")
        .error_for_status()
        .expect("presigned URL accepted")
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), content.len());
    assert!(body[..] == content[..], "downloaded bytes differ");
    store.delete(&key).await.unwrap();
}

#[tokio::test]
async fn wrong_credentials_are_a_clear_error() {
    let mut settings = s3_settings();
    settings.secret_key = "not-the-secret".into();
    let store = ObjectStore::new(&settings);
    let err = store.check().await.expect_err("bad credentials must fail");
    assert!(err.to_string().contains("HeadBucket"), "{err}");
}
