# The aam image: build on Debian 12 with the same package list as `make deps`
# (scripts/deps.sh), then a slim runtime with only the shared libraries, running as a
# non-root user. WORKDIR /app holds migrations/, seeds/ and mock_sources/, so the
# defaults (./migrations, ./seeds, ./mock_sources) resolve. docker compose uses it for
# both the one-shot `migrate` service and `api`.

FROM debian:bookworm-slim AS build
WORKDIR /src
COPY scripts/deps.sh scripts/deps.sh
RUN scripts/deps.sh --build && rm -rf /var/lib/apt/lists/*
COPY Makefile ./
COPY server server
COPY db db
COPY docs/openapi.json docs/openapi.json
RUN make -j"$(nproc)" all

FROM debian:bookworm-slim
COPY scripts/deps.sh /usr/local/lib/aam/deps.sh
RUN /usr/local/lib/aam/deps.sh --runtime && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home \
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
