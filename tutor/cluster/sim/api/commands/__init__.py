"""What commands print and exit with inside a simulated container (`kubectl exec` answers).

One module per tool family: `http` (curl, wget), `dnstools` (dig, nslookup), `net` (nc,
`/agnhost connect`, ping, ip), `files` (resolv.conf, hosts, the environment), `shell` (`sh -c`,
builtins, dispatch); `toolbox` says which executables each image ships; `proc` is the running
process (its Pod, container and the network calls it makes through the data plane).
"""
