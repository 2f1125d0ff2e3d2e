# The two set-up commands of README.md. Both install what is missing first (scripts/bootstrap).
SWIFT ?= swift

.PHONY: run test build bootstrap bench clean

bootstrap:
	@bash scripts/bootstrap

build: bootstrap
	$(SWIFT) build

# `make run` starts the forge on loopback with SQLite in forge-data/, and on its first start creates
# the demo repository demo/hello and pushes to it, so that its pipeline runs and deploys at once.
# FORGE_PORT picks another port; FORGE_ADMIN_PASSWORD sets the admin's password on the first start.
FORGE_PORT ?= 8080

run: bootstrap
	$(SWIFT) build --product forge
	"$$($(SWIFT) build --show-bin-path)/forge" serve --data forge-data --host 127.0.0.1 --port $(FORGE_PORT) --demo

# `make test` runs the whole suite beside a throwaway PostgreSQL server (scripts/with-postgres:
# initdb into a temporary folder, a loopback port, stopped afterwards), named by TEST_POSTGRES_URL.
# The PostgreSQL reliability tests (worker processes draining 10,000 chains under kill -9, a server
# restart) load both cores for half a minute: they run on their own after the rest, so that they do
# not starve the time-bounded tests running beside them.
HEAVY_TESTS = PostgresReliabilityTests

test: bootstrap
	bash scripts/with-postgres sh -c '$(SWIFT) test --skip $(HEAVY_TESTS) && $(SWIFT) test --skip-build --filter $(HEAVY_TESTS)'

bench: bootstrap
	bash bench/run

clean:
	rm -rf .build
