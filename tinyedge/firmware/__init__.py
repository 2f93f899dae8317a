"""Firmware runtime tooling: read a ``.tflite`` int8 model, compile it ahead of time to C
calling tinyedge's int8 kernels (bit-exact with TFLite Micro's reference kernels), and build
and run that C on the host for fast evaluation.

Main entry points: :func:`tinyedge.firmware.host.run_native`,
:func:`tinyedge.firmware.host.build_native`, :func:`tinyedge.firmware.host.write_sources`.
"""
