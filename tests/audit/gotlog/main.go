// Command gotlog checks a ChatSeal audit export with Go's golang.org/x/mod/sumdb/note and
// golang.org/x/mod/sumdb/tlog (Debian: golang-golang-x-mod-dev), code ChatSeal did not write.
//
// Usage: gotlog <tiles dir> <log vkey> <checks.json>
//
// It verifies the checkpoint's signed note, loads the C2SP tlog-tiles through tlog's
// TileHashReader (which authenticates every tile against the checkpoint's root), checks every
// entry bundle against the level-0 tiles, checks each inclusion and consistency proof with
// tlog.CheckRecord / tlog.CheckTree, compares ours to the proofs tlog builds from the tiles, and
// verifies C2SP tlog-proof receipts.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Index    int64    `json:"index"`
	Size     int64    `json:"size"`
	LeafHash string   `json:"leaf_hash"`
	Root     string   `json:"root"`
	Proof    []string `json:"proof"`
}

type consistency struct {
	First      int64    `json:"first"`
	Second     int64    `json:"second"`
	FirstRoot  string   `json:"first_root"`
	SecondRoot string   `json:"second_root"`
	Proof      []string `json:"proof"`
}

type receipt struct {
	Receipt string `json:"receipt"`
	Data    string `json:"data"`
}

type checks struct {
	Inclusion   []inclusion   `json:"inclusion"`
	Consistency []consistency `json:"consistency"`
	Receipts    []receipt     `json:"receipts"`
}

// encodeIndex writes N as 3-digit groups, all but the last prefixed "x" (c2sp.org/tlog-tiles).
func encodeIndex(n int64) string {
	s := strconv.FormatInt(n, 10)
	for len(s)%3 != 0 {
		s = "0" + s
	}
	var parts []string
	for i := 0; i < len(s); i += 3 {
		p := s[i : i+3]
		if i+3 < len(s) {
			p = "x" + p
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "/")
}

type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }

func (d dirTiles) read(level string, n int64, w int) ([]byte, error) {
	base := filepath.Join(d.dir, "tile", level, encodeIndex(n))
	if data, err := os.ReadFile(base); err == nil {
		return data, nil
	}
	matches, _ := filepath.Glob(base + ".p/*")
	best, bestW := "", 0
	for _, m := range matches {
		if pw, err := strconv.Atoi(filepath.Base(m)); err == nil && pw >= w && (best == "" || pw < bestW) {
			best, bestW = m, pw
		}
	}
	if best == "" {
		return nil, fmt.Errorf("no tile %s width %d", base, w)
	}
	return os.ReadFile(best)
}

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := d.read(strconv.Itoa(t.L), t.N, t.W)
		if err != nil {
			return nil, err
		}
		if len(data) < t.W*tlog.HashSize {
			return nil, fmt.Errorf("tile %v too short", t)
		}
		out[i] = data[:t.W*tlog.HashSize]
	}
	return out, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func hash(s string) tlog.Hash {
	h, err := tlog.ParseHash(s)
	if err != nil {
		fail("bad hash %q: %v", s, err)
	}
	return h
}

func hashes(list []string) []tlog.Hash {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		out[i] = hash(s)
	}
	return out
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "gotlog: "+format+"\n", args...)
	os.Exit(1)
}

// openCheckpoint verifies a signed checkpoint with note.Open and returns its size and root.
func openCheckpoint(msg []byte, verifier note.Verifier) (int64, tlog.Hash) {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint note does not verify: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 4 || lines[3] != "" || lines[0] != verifier.Name() {
		fail("checkpoint body is not origin/size/root: %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("bad size: %v", err)
	}
	return size, hash(lines[2])
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: gotlog <tiles dir> <vkey> <checks.json>")
	}
	dir, vkey := os.Args[1], os.Args[2]
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("bad vkey: %v", err)
	}
	msg, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		fail("%v", err)
	}
	size, root := openCheckpoint(msg, verifier)
	tree := tlog.Tree{N: size, Hash: root}
	hr := tlog.TileHashReader(tree, dirTiles{dir})
	th, err := tlog.TreeHash(size, hr)
	if err != nil || th != root {
		fail("tiles do not hash to the checkpoint root: %v", err)
	}
	// Every entry bundle must hash, entry by entry, to the authenticated level-0 tile hashes.
	var entries int64
	for start := int64(0); start < size; start += 256 {
		w := int(size - start)
		if w > 256 {
			w = 256
		}
		data, err := dirTiles{dir}.read("entries", start/256, w)
		if err != nil {
			fail("%v", err)
		}
		for i := 0; i < w; i++ {
			if len(data) < 2 {
				fail("entry bundle %d truncated", start/256)
			}
			l := int(binary.BigEndian.Uint16(data))
			entry := data[2 : 2+l]
			data = data[2+l:]
			got, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, start+int64(i))})
			if err != nil || got[0] != tlog.RecordHash(entry) {
				fail("entry %d does not match its tile: %v", start+int64(i), err)
			}
			entries++
		}
	}
	raw, err := os.ReadFile(os.Args[3])
	if err != nil {
		fail("%v", err)
	}
	var c checks
	if err := json.Unmarshal(raw, &c); err != nil {
		fail("%v", err)
	}
	for _, p := range c.Inclusion {
		proof := tlog.RecordProof(hashes(p.Proof))
		if err := tlog.CheckRecord(proof, p.Size, hash(p.Root), p.Index, hash(p.LeafHash)); err != nil {
			fail("inclusion %d in %d rejected: %v", p.Index, p.Size, err)
		}
		if p.Size == size {
			theirs, err := tlog.ProveRecord(size, p.Index, hr)
			if err != nil || len(theirs) != len(proof) {
				fail("tlog.ProveRecord %d: %v", p.Index, err)
			}
			for i := range theirs {
				if theirs[i] != proof[i] {
					fail("inclusion proof %d differs from tlog's", p.Index)
				}
			}
		}
	}
	for _, p := range c.Consistency {
		proof := tlog.TreeProof(hashes(p.Proof))
		if err := tlog.CheckTree(proof, p.Second, hash(p.SecondRoot), p.First, hash(p.FirstRoot)); err != nil {
			fail("consistency %d -> %d rejected: %v", p.First, p.Second, err)
		}
		if p.Second == size {
			theirs, err := tlog.ProveTree(size, p.First, hr)
			if err != nil || len(theirs) != len(proof) {
				fail("tlog.ProveTree %d: %v", p.First, err)
			}
			for i := range theirs {
				if theirs[i] != proof[i] {
					fail("consistency proof %d differs from tlog's", p.First)
				}
			}
		}
	}
	for i, r := range c.Receipts {
		// c2sp.org/tlog-proof: header, optional extra, index, proof hashes, blank line, checkpoint.
		head, cp, ok := bytes.Cut([]byte(r.Receipt), []byte("\n\n"))
		if !ok {
			fail("receipt %d has no checkpoint", i)
		}
		lines := strings.Split(string(head), "\n")
		if lines[0] != "c2sp.org/tlog-proof@v1" {
			fail("receipt %d header", i)
		}
		lines = lines[1:]
		if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
			lines = lines[1:]
		}
		if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
			fail("receipt %d index", i)
		}
		index, err := strconv.ParseInt(strings.TrimPrefix(lines[0], "index "), 10, 64)
		if err != nil {
			fail("receipt %d index: %v", i, err)
		}
		rsize, rroot := openCheckpoint(cp, verifier)
		data, err := base64.StdEncoding.DecodeString(r.Data)
		if err != nil {
			fail("%v", err)
		}
		if err := tlog.CheckRecord(tlog.RecordProof(hashes(lines[1:])), rsize, rroot, index, tlog.RecordHash(data)); err != nil {
			fail("receipt %d rejected: %v", i, err)
		}
	}
	fmt.Printf("OK size=%d entries=%d inclusion=%d consistency=%d receipts=%d\n",
		size, entries, len(c.Inclusion), len(c.Consistency), len(c.Receipts))
}
