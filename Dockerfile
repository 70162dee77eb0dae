# The aam image: build on Debian 12 with the same package list as `make deps`
# (scripts/deps.sh --build), then a slim runtime with only the shared libraries
# (scripts/deps.sh --runtime) and the stripped binary, running as a non-root user.
# WORKDIR /app holds migrations/, seeds/ and mock_sources/, so the defaults
# (./migrations, ./seeds, ./mock_sources) resolve. docker compose uses it for both the
# one-shot `migrate` service and `api`. `make image` builds it with podman and checks it
# (tests/image/build.sh).

FROM debian:bookworm-slim AS build
WORKDIR /src
COPY scripts/deps.sh scripts/deps.sh
RUN scripts/deps.sh --build && rm -rf /var/lib/apt/lists/*
# Everything the Makefile compiles (.dockerignore keeps out .git, tests, local state).
COPY . .
# No debug info in the image: --strip-unneeded takes the binary from ~0.6 MB to ~0.2 MB.
RUN make -j"$(nproc)" all && strip --strip-unneeded build/aam

FROM debian:bookworm-slim
COPY scripts/deps.sh /tmp/deps.sh
# apt's lists, caches and logs go in the same layer they were made in.
RUN sh /tmp/deps.sh --runtime \
    && rm -rf /tmp/deps.sh /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old \
       /var/log/apt /var/log/dpkg.log /var/log/alternatives.log \
    && groupadd --system --gid 10001 aam \
    && useradd --system --uid 10001 --gid aam --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin aam
WORKDIR /app
COPY --from=build /src/build/aam /usr/local/bin/aam
COPY migrations ./migrations
COPY seeds ./seeds
COPY mock_sources ./mock_sources
USER aam
ENV PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/health" || exit 1
ENTRYPOINT ["aam"]
CMD ["serve"]
