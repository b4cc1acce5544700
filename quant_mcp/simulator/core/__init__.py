"""The shared core every API group builds on: state, gateway (auth, cap, faults), errors,
request parsing, route builders, SSE writing and the control API."""
