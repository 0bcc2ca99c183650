.PHONY: run test ci bench
run:  ## set up and start the service with demo data (SQLite)
	./scripts/run
test:  ## set up and run the whole suite
	./scripts/test
bench:  ## set up and run the benchmarks (BENCHMARKS.md); ARGS=--quick for a short run
	./scripts/bench $(ARGS)
ci:
	bash .ci/run
