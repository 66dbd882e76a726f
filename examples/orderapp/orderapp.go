package orderapp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", pure Go
)

// Mode says how the app treats a transaction it has already stored.
type Mode string

// Modes.
const (
	// Naive inserts a row for every notification: a second delivery of
	// the same upload is a second order.
	Naive Mode = "naive"
	// Idempotent keys orders on their transaction id (a UNIQUE column):
	// a second delivery finds the row and answers 200 without a new order.
	Idempotent Mode = "idempotent"
)

// ParseMode parses "naive" or "idempotent".
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case Naive, Idempotent:
		return m, nil
	}
	return "", fmt.Errorf("orderapp: invalid mode %q (want naive|idempotent)", s)
}

// Config configures an App.
type Config struct {
	// DB is the SQLite database file (created if missing); ":memory:" keeps
	// it in memory.
	DB string
	// Mode is naive (default) or idempotent.
	Mode Mode
	// MaxUpload bounds an upload's size; default 64 MiB.
	MaxUpload int64
}

// App stores orders. It is an http.Handler:
//
//	POST <any path>   a BITS notification (by reference or by value)
//	GET  /effects     the effect probe: {"effects": {"<txn>": <orders>}}
//	GET  /healthz     200 "ok"
type App struct {
	cfg Config
	db  *sql.DB
	mu  sync.Mutex // one writer at a time (naive mode has no constraint to lean on)
}

// Open opens (or creates) the database and returns the app.
func Open(cfg Config) (*App, error) {
	if cfg.Mode == "" {
		cfg.Mode = Naive
	}
	if _, err := ParseMode(string(cfg.Mode)); err != nil {
		return nil, err
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 64 << 20
	}
	if cfg.DB == "" {
		return nil, errors.New("orderapp: no database file")
	}
	db, err := sql.Open("sqlite", cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("orderapp: %w", err)
	}
	db.SetMaxOpenConns(1) // SQLite has one writer; one connection avoids SQLITE_BUSY
	schema := `CREATE TABLE IF NOT EXISTS orders (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		txn         TEXT NOT NULL,
		sha256      TEXT NOT NULL,
		size        INTEGER NOT NULL,
		item        TEXT NOT NULL DEFAULT '',
		node        TEXT NOT NULL DEFAULT '',
		received_at TEXT NOT NULL)`
	stmts := []string{"PRAGMA journal_mode=WAL", "PRAGMA busy_timeout=5000", schema}
	if cfg.Mode == Idempotent {
		stmts = append(stmts, "CREATE UNIQUE INDEX IF NOT EXISTS orders_txn ON orders(txn)")
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			db.Close()
			return nil, fmt.Errorf("orderapp: %s: %w", strings.Fields(s)[0], err)
		}
	}
	return &App{cfg: cfg, db: db}, nil
}

// Close closes the database.
func (a *App) Close() error { return a.db.Close() }

// ServeHTTP implements http.Handler.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/effects":
		a.serveEffects(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/healthz":
		io.WriteString(w, "ok\n")
	case r.Method == http.MethodPost:
		a.notify(w, r)
	default:
		http.Error(w, "orderapp: POST a notification, GET /effects or /healthz", http.StatusMethodNotAllowed)
	}
}

// notify handles one BITS notification. By reference the upload is the
// file named by BITS-Request-DataFile-Name (read it before answering: the
// server may delete it once answered); by value it is the body.
func (a *App) notify(w http.ResponseWriter, r *http.Request) {
	var src io.Reader = r.Body
	if path := r.Header.Get("BITS-Request-DataFile-Name"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			// 500 is transient for BITS: the client retries the final
			// fragment and the server notifies again.
			http.Error(w, "orderapp: open upload: "+err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		src = f
	}
	data, err := io.ReadAll(io.LimitReader(src, a.cfg.MaxUpload+1))
	if err != nil {
		http.Error(w, "orderapp: read upload: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if int64(len(data)) > a.cfg.MaxUpload {
		// 413 is a fatal 4xx for BITS: the job stops in ERROR.
		http.Error(w, "orderapp: upload too large", http.StatusRequestEntityTooLarge)
		return
	}
	o, err := parseOrder(data)
	if err != nil {
		// A 4xx other than 408/409 is fatal: the client gives up, which
		// is right for a document that will never parse.
		http.Error(w, "orderapp: "+err.Error(), http.StatusBadRequest)
		return
	}
	sum := sha256.Sum256(data)
	if err := a.store(r.Context(), o, hex.EncodeToString(sum[:]), int64(len(data)), r.Header.Get("X-Bitsim-Node")); err != nil {
		http.Error(w, "orderapp: store: "+err.Error(), http.StatusServiceUnavailable) // transient
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// order is what the app needs from an upload.
type order struct {
	Txn  string
	Item string
}

// parseOrder finds the transaction id: the first line "bitsim-txn: <id>"
// (bitsim's default payloads), else a JSON document's "order_id" (or
// "txn") field.
func parseOrder(data []byte) (order, error) {
	const prefix = "bitsim-txn: "
	if bytes.HasPrefix(data, []byte(prefix)) {
		line, _, _ := bufio.NewReader(bytes.NewReader(data)).ReadLine()
		id := strings.TrimSpace(strings.TrimPrefix(string(line), prefix))
		if id != "" {
			return order{Txn: id}, nil
		}
	}
	var doc struct {
		OrderID string `json:"order_id"`
		Txn     string `json:"txn"`
		Item    string `json:"item"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return order{}, fmt.Errorf("no transaction id: neither a %q line nor a JSON order (%v)", strings.TrimSpace(prefix), err)
	}
	id := doc.OrderID
	if id == "" {
		id = doc.Txn
	}
	if id == "" {
		return order{}, errors.New("no transaction id: the JSON order has no order_id")
	}
	return order{Txn: id, Item: doc.Item}, nil
}

// store inserts the order. In idempotent mode a second insert of the same
// transaction is ignored (ON CONFLICT DO NOTHING) and still answered 200:
// the client must not see an error for an order that is already stored.
func (a *App) store(ctx context.Context, o order, sha string, size int64, node string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	q := `INSERT INTO orders (txn, sha256, size, item, node, received_at) VALUES (?, ?, ?, ?, ?, ?)`
	if a.cfg.Mode == Idempotent {
		q += ` ON CONFLICT(txn) DO NOTHING`
	}
	_, err := a.db.ExecContext(ctx, q, o.Txn, sha, size, o.Item, node, time.Now().UTC().Format(time.RFC3339Nano))
	return err
}

// Effects returns how many orders each transaction produced.
func (a *App) Effects(ctx context.Context) (map[string]int, error) {
	rows, err := a.db.QueryContext(ctx, `SELECT txn, COUNT(*) FROM orders GROUP BY txn`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var txn string
		var n int
		if err := rows.Scan(&txn, &n); err != nil {
			return nil, err
		}
		out[txn] = n
	}
	return out, rows.Err()
}

// serveEffects is the effect probe bitsim reads after every job has
// ended: {"effects": {"<txn>": <count>}}.
func (a *App) serveEffects(w http.ResponseWriter, r *http.Request) {
	eff, err := a.Effects(r.Context())
	if err != nil {
		http.Error(w, "orderapp: effects: "+err.Error(), http.StatusInternalServerError)
		return
	}
	body, err := json.Marshal(struct {
		Effects map[string]int `json:"effects"`
	}{eff})
	if err != nil {
		http.Error(w, "orderapp: effects: "+err.Error(), http.StatusInternalServerError)
		return
	}
	body = append(body, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}
