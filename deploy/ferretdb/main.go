// Command ferretdb runs FerretDB v1 with the SQLite backend as the local
// MongoDB-compatible server for tests, benchmarks and `make run`.
//
// FerretDB 1.24's SQLite backend looks documents up by `_id` with the SQL
// expression `_ferretdb_sjson->'$._id'`, which its own `_id_` index does not
// cover, so every lookup scans the table. An index keeper adds a matching
// expression index to each collection table as it appears.
//
// Three settings cut the server's CPU per write by about a third:
//   - FerretDB attaches each SQL statement's arguments (whole documents) to a
//     logger before every debug message, and slog's handlers format them at
//     once even when debug is off; the logger here formats only what it writes.
//   - SQLite's WAL is synced at checkpoints rather than at every commit
//     (synchronous=NORMAL): a commit survives this process dying, and only a
//     power failure may lose the last ones, as with MongoDB's default write
//     concern between journal flushes.
//   - The Go collector runs at a quarter of its default frequency (GOGC=400).
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	_ "modernc.org/sqlite"
)

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

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    slog.New(lazyHandler{inner: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})}),
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dataDir + "/?_pragma=synchronous(normal)",
	})
	if err != nil {
		log.Fatalf("configure ferretdb: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	go keepIDIndexes(ctx, *dataDir, 200*time.Millisecond)

	fmt.Printf("ferretdb v1.24 (sqlite) listening uri=%s\n", f.MongoDBURI())
	f.Run(ctx)
}

// keepIDIndexes adds the `_id` lookup index to every collection table of
// every database file in dir, checking again at each tick until ctx ends.
func keepIDIndexes(ctx context.Context, dir string, every time.Duration) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()

	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		for _, file := range files {
			if err := indexDatabase(ctx, file); err != nil {
				log.Printf("index keeper: %s: %v", filepath.Base(file), err)
			}
		}

		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// indexDatabase creates the missing `_id` lookup indexes of one database file.
// The file is opened read-write without create, so a dropped database stays dropped.
func indexDatabase(ctx context.Context, file string) error {
	db, err := sql.Open("sqlite", "file:"+file+"?mode=rw&_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer db.Close()

	rows, err := db.QueryContext(ctx, `
		SELECT c.table_name FROM _ferretdb_collections AS c
		WHERE NOT EXISTS (
			SELECT 1 FROM sqlite_master AS m
			WHERE m.type = 'index' AND m.name = c.table_name || '__id_lookup'
		)`)
	if err != nil {
		return nil // the file is being created or dropped: look again at the next tick
	}

	var tables []string
	for rows.Next() {
		var table string
		if err := rows.Scan(&table); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, table)
	}
	rows.Close()

	for _, table := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, table+"__id_lookup", table)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}

	return nil
}

// lazyHandler keeps attributes as given and hands them to the inner handler
// only for a record that is written.
type lazyHandler struct {
	inner slog.Handler
	attrs []slog.Attr
}

func (h lazyHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h lazyHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.inner.WithAttrs(h.attrs).Handle(ctx, r)
}

func (h lazyHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return lazyHandler{inner: h.inner, attrs: append(h.attrs[:len(h.attrs):len(h.attrs)], attrs...)}
}

func (h lazyHandler) WithGroup(name string) slog.Handler {
	return lazyHandler{inner: h.inner.WithAttrs(h.attrs).WithGroup(name)}
}
