# syntax=docker/dockerfile:1
# The `migrate` image: a release build in the Rust toolchain's image, copied
# into a small runtime image with no shell and no package manager.
#
#   docker build -t migrate .
#   docker run --rm -v "$PWD:/project:ro" -e DATABASE_URL migrate --wait upgrade head
#
# The binary needs glibc and libgcc and nothing else (SQLite is compiled in, TLS
# is rustls): distroless `cc` is exactly that, plus CA certificates, tzdata and
# a non-root user. Both stages are Debian 12, so the glibc the binary was linked
# against is the one it runs on.

# The toolchain this repository is built and tested with (at least Cargo.toml's
# rust-version).
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY . .
# Cache mounts keep the crate downloads and the build between image builds;
# the binary is copied out of the cached target/ in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin migrate \
    && install -D -m 0755 target/release/migrate /out/migrate

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=build /out/migrate /usr/local/bin/migrate
# distroless's `nonroot` user, by number, so an orchestrator can verify that
# the container does not run as root without reading /etc/passwd.
USER 65532:65532
# Mount the project (the folder with migrate.toml) here.
WORKDIR /project
# The header cache speeds up repeated inspection commands on one machine; a
# one-shot container would only write it and throw it away.
ENV MIGRATE_CACHE_DIR=""
ENTRYPOINT ["/usr/local/bin/migrate"]
CMD ["--help"]
