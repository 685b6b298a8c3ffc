# Shortcuts for people used to make; ./dev does the work (make is not on a bare Debian).
.PHONY: run test bench lock
run:
	./dev run
test:
	./dev test
bench:
	./dev bench
lock:
	./dev lock
