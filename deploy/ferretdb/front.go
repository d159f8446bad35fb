package main

// The serialising front: clients connect here, and every message is relayed
// unchanged to FerretDB over a private Unix socket.
//
// FerretDB v1 runs update, findAndModify and delete as a read-modify-write in
// Go: it queries the matching documents, applies the change, and writes whole
// documents back by `_id` with no check that they are unchanged. Two clients
// updating one document at once therefore lose updates ($inc counts short,
// $set/$unset of different keys undone, compare-and-set won twice). MongoDB
// makes every single-document write atomic; so does this front, by letting
// only one of those commands per collection be inside FerretDB at a time:
// the lock is taken before the request is relayed and released when the
// reply has come back. Reads, inserts and other commands pass without it
// (an insert is guarded by the unique `_id` index, and a read sees each
// document as one committed row).
//
// The cost is the relay (one more local hop per message) and that writes to
// the same collection wait for each other; SQLite admits one writer at a time
// anyway, so only the read part of a write is no longer overlapped. The lock
// is held until FerretDB's reply is read, not while the client is written to.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"

	"github.com/FerretDB/wire"
)

const (
	headerLen    = 16
	maxMessage   = 48_000_000
	opMsg        = 2013
	moreToCome   = 1 << 1
	relayBufSize = 64 << 10
)

// readModifyWrite are the commands FerretDB runs as an unguarded read-modify-write.
var readModifyWrite = map[string]bool{
	"update":        true,
	"delete":        true,
	"findAndModify": true,
	"findandmodify": true,
}

// front relays client connections to the backend, one lock per collection
// for the commands in readModifyWrite.
type front struct {
	dial  func() (net.Conn, error)
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func newFront(dial func() (net.Conn, error)) *front {
	return &front{dial: dial, locks: map[string]*sync.Mutex{}}
}

// serve accepts connections until the listener is closed.
func (f *front) serve(l net.Listener) {
	for {
		conn, err := l.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				log.Printf("front: accept: %v", err)
			}
			return
		}
		go f.relay(conn)
	}
}

// relay passes one client's messages to its own backend connection and the
// replies back, in order, until either side closes.
func (f *front) relay(client net.Conn) {
	defer client.Close()

	backend, err := f.dial()
	if err != nil {
		log.Printf("front: backend: %v", err)
		return
	}
	defer backend.Close()

	fromClient := bufio.NewReaderSize(client, relayBufSize)
	fromBackend := bufio.NewReaderSize(backend, relayBufSize)
	var request, reply []byte

	for {
		if request, err = readMessage(fromClient, request); err != nil {
			return
		}
		if reply, err = f.ask(request, backend, fromBackend, reply); err != nil {
			return
		}
		if err = pass(reply, flagged(request, moreToCome), client, fromBackend); err != nil {
			return
		}
	}
}

// ask sends one request and reads its reply, holding the collection's lock
// for a read-modify-write command until the reply is in (never while the
// client is written to, so a slow client holds up nobody else).
func (f *front) ask(request []byte, backend net.Conn, fromBackend *bufio.Reader, reply []byte) ([]byte, error) {
	unlock := f.lock(request)
	defer unlock()

	if _, err := backend.Write(request); err != nil {
		return reply, err
	}
	return readMessage(fromBackend, reply)
}

// pass hands the reply to the client, and the rest of a stream (an exhaust
// cursor) as it comes. FerretDB 1.24 answers every request, even one whose
// sender asked for no reply (moreToCome): that reply is dropped.
func pass(reply []byte, unwanted bool, client net.Conn, fromBackend *bufio.Reader) error {
	for {
		if !unwanted {
			if _, err := client.Write(reply); err != nil {
				return err
			}
		}
		if !flagged(reply, moreToCome) {
			return nil
		}
		var err error
		if reply, err = readMessage(fromBackend, reply); err != nil {
			return err
		}
	}
}

// lock takes the collection's lock when the request is a read-modify-write
// command, and returns what releases it.
func (f *front) lock(request []byte) func() {
	namespace := writeNamespace(request)
	if namespace == "" {
		return func() {}
	}
	f.mu.Lock()
	m := f.locks[namespace]
	if m == nil {
		m = new(sync.Mutex)
		f.locks[namespace] = m
	}
	f.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// writeNamespace is "<db>.<collection>" for a read-modify-write command, else "".
func writeNamespace(request []byte) string {
	if opCode(request) != opMsg {
		return ""
	}
	var msg wire.OpMsg
	if err := msg.UnmarshalBinaryNocopy(request[headerLen:]); err != nil {
		return ""
	}
	raw := msg.RawSection0()
	if raw == nil {
		return ""
	}
	doc, err := raw.Decode()
	if err != nil || !readModifyWrite[doc.Command()] {
		return ""
	}
	collection, _ := doc.Get(doc.Command()).(string)
	db, _ := doc.Get("$db").(string)
	return db + "." + collection
}

// readMessage reads one wire message (header included) into buf, reusing it.
func readMessage(r *bufio.Reader, buf []byte) ([]byte, error) {
	head, err := r.Peek(4)
	if err != nil {
		return buf, err
	}
	size := int(int32(binary.LittleEndian.Uint32(head)))
	if size < headerLen || size > maxMessage {
		return buf, fmt.Errorf("message length %d", size)
	}
	if cap(buf) < size {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	_, err = io.ReadFull(r, buf)
	return buf, err
}

func opCode(message []byte) int32 {
	return int32(binary.LittleEndian.Uint32(message[12:16]))
}

// flagged tells whether an OP_MSG has the flag bit set.
func flagged(message []byte, bit uint32) bool {
	return opCode(message) == opMsg && len(message) >= headerLen+4 &&
		binary.LittleEndian.Uint32(message[headerLen:headerLen+4])&bit != 0
}
