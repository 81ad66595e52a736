# Orderflow — the commands a developer needs. `make up` runs the system, `make test` tests it.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# A supported Node.js (>= 22.17, for MikroORM 7) comes first on PATH: tools/ensure-node puts one
# in .tools/node when the machine's own is older.
export PATH := $(CURDIR)/.tools/node/bin:$(PATH)
# The machine's ~/.npmrc may carry settings newer npm no longer knows; keep npm's output readable.
export npm_config_loglevel ?= error

NODE_STAMP := node_modules/.package-lock.json

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

.tools/node/bin/node:
	@tools/ensure-node >/dev/null

$(NODE_STAMP): package.json package-lock.json $(wildcard libs/*/package.json services/*/package.json tools/*/package.json) | .tools/node/bin/node
	@tools/ensure-node >/dev/null
	npm ci --no-audit --no-fund
	@# tap compiles its plugin set at install time; ours drops ts-node for tsx (package.json "tap").
	npx tap build

.PHONY: install
install: $(NODE_STAMP) ## install dependencies (npm ci) and a supported Node.js if needed

.PHONY: build
build: install ## compile every package (tsc -b)
	@npx tsc -b

.PHONY: typecheck
typecheck: build ## type-check sources and tests
	npx tsc -p tsconfig.tests.json
	npx tsc -p load/tsconfig.json

.PHONY: lint
# After the build: type-aware rules read the other packages' types from their dist/*.d.ts.
lint: build ## lint with type information
	npx eslint .

.PHONY: test
test: install ## run every test against the local PostgreSQL and NATS
	npx tap

.PHONY: clean
clean: ## remove build output
	rm -rf libs/*/dist services/*/dist tools/*/dist

.PHONY: up
up: build ## run every service locally (PostgreSQL and NATS on 127.0.0.1); REPLICAS=2 runs two processes of each; prints URLs and a token
	tools/dev/up

.PHONY: down
down: ## stop what `make up` started
	tools/dev/down

.PHONY: logs
logs: ## follow the logs of the services `make up` started
	tail -n 20 -F .run/logs/*.log

.PHONY: token
# Straight from the sources through tsx (as the tests run): printing a token needs no build.
token: install ## print a development staff JWT (ROLES=orders:read make token narrows it; make token CUSTOMER=c-42 prints a customer's)
	@set -a; [ -f .run/dev.env ] && . .run/dev.env; set +a; node --import tsx --conditions=orderflow-source tools/cli/src/token.main.ts

.PHONY: smoke
smoke: build ## make up, place an order end to end, make down, check nothing is left running
	tools/dev/smoke

.PHONY: bench
# BENCH_ARGS is handed to the tool: make bench BENCH_ARGS="--rate 100 --duration 60 --runs 3".
bench: build ## benchmark the running system (or make up for it): rates, latency, capacity; writes docs/benchmarks.md
	node tools/bench/bin/orderflow-bench.js $(BENCH_ARGS)

.PHONY: chaos
# The chaos run's seconds of load and orders per second: make chaos DURATION=300 RATE=10.
DURATION ?= 180
RATE ?= 10
chaos: build ## break a platform of its own under load (kills, outages, a stall, poison), check nothing is lost; writes docs/reliability.md
	node tools/chaos/bin/orderflow-chaos.js --duration $(DURATION) --rate $(RATE) --report docs/reliability.md

.PHONY: kind-up
kind-up: ## create the kind cluster "orderflow" with ingress-nginx, metrics-server and NATS
	kind/up.sh

.PHONY: kind-down
kind-down: ## delete the kind cluster
	kind/down.sh

.PHONY: chart-test
chart-test: install ## render the Helm chart and check it (no cluster needed)
	npx tap tools/chart-test/test/*.test.ts
