# IndRNN action server on a CUDA GPU (falls back to CPU, with a logged reason, when no GPU is visible).
#   docker build -t indrnn-server .
#   docker run --gpus all -p 8080:8080 indrnn-server            # needs the NVIDIA Container Toolkit
#   docker run --gpus all -p 8080:8080 -v $PWD/models:/app/models:ro -e INDRNN_TOKEN=... indrnn-server
# onnxruntime-node 1.30's CUDA provider needs CUDA 12 and cuDNN 9: the runtime base below has both.

# ---- build: compile TypeScript, install production dependencies with onnxruntime's CUDA libraries ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.json tsconfig.ui.json ./
COPY src ./src
COPY scripts ./scripts
# .npmrc skips dependencies' install scripts, our `prepare` included: `npm run build` compiles src/ and
# scripts/ into dist/ (tsc) and bundles the live page (src/ui) into dist/ui; `npm run install-cuda` runs
# onnxruntime-node's install script for the CUDA 12 provider, the one download.
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && npm run install-cuda \
 && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so \
 && test -f dist/src/cli.js \
 && npm prune --omit=dev

# ---- runtime: CUDA 12 + cuDNN 9 libraries, Node 20, non-root ----
FROM nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04
COPY --from=build /usr/local/bin/node /usr/local/bin/node
COPY --from=build /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
# tini as PID 1: it forwards docker stop's SIGTERM to node and reaps zombies (node is not meant to be PID 1).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --create-home indrnn
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root models ./models
# Large onnxruntime outputs were 5-10x slower without these glibc malloc thresholds (docs/design.md); with them
# set, the CLI does not need to re-execute itself.
ENV NODE_ENV=production \
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296
USER indrnn
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node directly under tini (not npm start: no npm or shell in between to lose the signal): docker stop's
# SIGTERM reaches the CLI, which forwards it to the server it re-executes with its V8 flags; the server drains
# in-flight requests (--drain-timeout-ms) and exits. Other flags:
#   docker run ... indrnn-server node dist/src/cli.js serve --device cuda --max-batch 64
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/cli.js", "serve"]
