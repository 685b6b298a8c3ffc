# Shortcuts for people used to make; ./dev does the work (make is not on a bare Debian).
.PHONY: run test lock
run:
	./dev run
test:
	./dev test
lock:
	./dev lock
