# Recipes a contributor types. `just --list` shows them.

# Run the service on the embedded default (SQLite file ./stackflow.db).
run:
    cargo run --release -p stackflow-server

# Run every test (SQLite; set STACKFLOW_TEST_DATABASE_URL to also run on PostgreSQL).
test:
    python3 -m pip install --quiet 'moto[server]' oidc-provider-mock && cargo test --workspace

# The store and server tests on the local PostgreSQL.
# The store tests keep their per-test databases (sf_store_*): they are dropped afterwards.
test-pg:
    STACKFLOW_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p store -p stackflow-server; \
    status=$?; \
    psql -h 127.0.0.1 -U postgres -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'sf\_%'" postgres | \
      while read -r db; do psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" postgres; done; \
    exit $status

# Everything CI runs.
ci:
    bash .ci/run

# Format and lint as CI does.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# The public SCIM conformance checker against a running server: just conformance http://127.0.0.1:8080/scim/v2 TOKEN
conformance base token:
    ../shared/tools/scim-conformance {{base}} {{token}}

# Okta-like load (W1–W5) against a running release server; see docs/benchmarks.md.
bench base token n="10000":
    python3 ../shared/tools/scim-load.py --base-url {{base}} --token {{token}} --n {{n}} --phases w1,w2,w3,w4,w5

# Fuzz the filter and PATCH parsers longer than the test suite does.
fuzz cases="20000":
    PROPTEST_CASES={{cases}} cargo test --release -p scim-core -- filter::tests patching_never_panics

# +100-member PATCHes of a mapped group (each changes 100 roles) against a running server: just bench-mapped-patch 8080 TOKEN
bench-mapped-patch port token n="100000":
    python3 tests/bench/mapped_group_patch.py {{port}} {{token}} {{n}}
