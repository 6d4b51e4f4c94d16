# Skilldex — the two commands that matter: `make dev` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help dev test e2e stop bench services-test services-dev services-stop migrate ping fmt lint build ui

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

dev: ## Start the whole system locally (services, migrations, api, worker, UI); Ctrl-C stops it. OFFLINE=1: fake GitHub
	@scripts/dev.sh $(if $(OFFLINE),--offline)

test: ## Run every check: fmt, clippy, all Rust tests against real services, frontend tests, browser tests, compose check
	@scripts/test.sh

e2e: ## Browser end-to-end tests only: Chromium against a real api + worker + UI (scripts/e2e.sh)
	@scripts/e2e.sh

stop: ## Stop everything `make dev` started
	@scripts/stop.sh

bench: ## Run the benchmarks under bench/ (medians)
	@scripts/bench.sh

services-test: ## Start the test services and keep them running (then plain `cargo test` works)
	@scripts/services.sh start test

services-dev: ## Start PostgreSQL, Temporal and S3 for development only
	@set -a; [ -f .env ] && . ./.env; set +a; scripts/services.sh start dev

services-stop: ## Stop the services of both sets
	@scripts/services.sh stop test; scripts/services.sh stop dev

migrate: ## Apply migrations to the dev database
	@set -a; [ -f .env ] && . ./.env; [ -f .data/dev/services.env ] && . ./.data/dev/services.env; set +a; \
	cargo run --quiet -p skilldex-migration -- up

ping: ## Run the Ping workflow through Temporal and a worker
	@set -a; [ -f .env ] && . ./.env; [ -f .data/dev/services.env ] && . ./.data/dev/services.env; set +a; \
	cargo run --quiet -p skilldex-worker -- ping

fmt: ## Format Rust code
	cargo fmt --all

lint: ## Clippy with warnings as errors
	cargo clippy --workspace --all-targets --locked -- -D warnings

build: ## Release build of the binaries and the UI
	cargo build --release --locked -p skilldex-api -p skilldex-worker -p skilldex-migration
	cd frontend && npm ci && npm run build
