// Command ferretdb runs FerretDB v1 with the SQLite backend as the local
// MongoDB-compatible server for tests, benchmarks and `make run`.
//
// Clients connect to a serialising front (front.go) that makes every
// single-document update atomic, as on MongoDB; FerretDB itself listens on a
// Unix socket beside its data. An index keeper (indexes.go) makes `_id`
// lookups use an index.
//
// Three settings cut the server's CPU per write by about a third:
//   - FerretDB attaches each SQL statement's arguments (whole documents) to a
//     logger before every debug message, and slog's handlers format them at
//     once even when debug is off; the logger here formats only what it
//     writes (logging.go).
//   - SQLite's WAL is synced at checkpoints rather than at every commit
//     (synchronous=NORMAL): a commit survives this process dying, and only a
//     power failure may lose the last ones, as with MongoDB's default write
//     concern between journal flushes.
//   - The Go collector runs at a quarter of its default frequency (GOGC=400).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// maxSocketPath keeps the Unix socket path within the kernel's limit (108 bytes with the terminator).
const maxSocketPath = 100

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data", "", "SQLite data directory (created if missing)")
	flag.Parse()

	if *dataDir == "" {
		log.Fatal("-data is required")
	}

	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		log.Fatalf("create data dir: %v", err)
	}

	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}

	socket, err := socketPath(*dataDir)
	if err != nil {
		log.Fatalf("backend socket: %v", err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: socket},
		Logger:    slog.New(lazyHandler{inner: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})}),
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dataDir + "/?_pragma=synchronous(normal)",
	})
	if err != nil {
		log.Fatalf("configure ferretdb: %v", err)
	}

	clients, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("listen: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	go keepIDIndexes(ctx, *dataDir, 200*time.Millisecond)
	go func() {
		<-ctx.Done()
		clients.Close()
	}()
	go newFront(func() (net.Conn, error) { return net.Dial("unix", socket) }).serve(clients)

	fmt.Printf("ferretdb v1.24 (sqlite) listening uri=mongodb://%s/\n", clients.Addr())
	f.Run(ctx)
}

// socketPath is where FerretDB listens for the front: beside the data, or in a
// fresh temporary folder when that path is too long for a Unix socket. A socket
// left by a process that was killed is removed first.
func socketPath(dataDir string) (string, error) {
	socket := filepath.Join(dataDir, "ferretdb.sock")
	if len(socket) > maxSocketPath {
		dir, err := os.MkdirTemp("", "ferretdb")
		if err != nil {
			return "", err
		}
		socket = filepath.Join(dir, "ferretdb.sock")
	}
	if err := os.Remove(socket); err != nil && !os.IsNotExist(err) {
		return "", err
	}
	return socket, nil
}
