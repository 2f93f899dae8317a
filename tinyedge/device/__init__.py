"""On-device evaluation: serial protocol, transports, sessions, QEMU, flashing."""
