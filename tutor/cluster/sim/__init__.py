"""The embedded simulated cluster: admission, controllers, object store and data plane."""
