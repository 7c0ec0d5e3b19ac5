// Wrapper so `go build` can produce the etcd server binary from the published
// go.etcd.io/etcd/server/v3 module (the etcd repo's own main module uses
// replace directives, which `go install pkg@version` rejects).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
