package main

// FerretDB 1.24's SQLite backend looks documents up by `_id` with the SQL
// expression `_ferretdb_sjson->'$._id'`, which its own `_id_` index does not
// cover, so every lookup scans the table. The index keeper adds a matching
// expression index to each collection table as it appears.

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite"
)

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
