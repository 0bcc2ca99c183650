.PHONY: run test ci
run:  ## set up and start the service with demo data (SQLite)
	./scripts/run
test:  ## set up and run the whole suite
	./scripts/test
ci:
	bash .ci/run
