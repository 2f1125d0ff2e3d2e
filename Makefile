# The two set-up commands of README.md. Both install what is missing first (scripts/bootstrap).
SWIFT ?= swift

.PHONY: run test build bootstrap bench clean

bootstrap:
	@bash scripts/bootstrap

build: bootstrap
	$(SWIFT) build

# Until the forge example exists, `make run` shows git-tool on a repository it creates.
run: build
	@bash scripts/demo "$$($(SWIFT) build --show-bin-path)/git-tool"

test: bootstrap
	$(SWIFT) test

bench: bootstrap
	bash bench/run

clean:
	rm -rf .build
