package ttlcache

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestExpiry(t *testing.T) {
	c := New[string, int](time.Minute, 10)
	c.Put("a", 1, t0, c.Generation())
	if v, ok := c.Get("a", t0.Add(59*time.Second)); !ok || v != 1 {
		t.Fatalf("within the TTL: %v %v", v, ok)
	}
	if _, ok := c.Get("a", t0.Add(time.Minute)); ok {
		t.Fatal("an entry outlived its TTL")
	}
}

// TestDropWinsOverRacingRead: a value read before a drop is not stored
// after it, so a read racing a change cannot keep the old value cached.
func TestDropWinsOverRacingRead(t *testing.T) {
	c := New[string, int](time.Minute, 10)
	gen := c.Generation()  // a reader starts, reads the old value...
	c.Drop("a")            // ...the change commits and drops...
	c.Put("a", 1, t0, gen) // ...the reader stores what it read
	if _, ok := c.Get("a", t0); ok {
		t.Fatal("a value read before a drop was cached after it")
	}
	for name, drop := range map[string]func(){
		"DropIf":  func() { c.DropIf(func(k string, _ int) bool { return k == "b" }) },
		"DropAll": c.DropAll,
	} {
		gen := c.Generation()
		drop()
		c.Put("b", 2, t0, gen)
		if _, ok := c.Get("b", t0); ok {
			t.Fatalf("%s: a racing read was cached", name)
		}
	}
}

func TestDropIfKeepsTheRest(t *testing.T) {
	c := New[string, int](time.Minute, 10)
	for i, k := range []string{"a", "b", "c"} {
		c.Put(k, i, t0, c.Generation())
	}
	c.DropIf(func(_ string, v int) bool { return v%2 == 0 })
	if _, ok := c.Get("a", t0); ok {
		t.Fatal("a matched and was kept")
	}
	if v, ok := c.Get("b", t0); !ok || v != 1 {
		t.Fatal("b did not match and was dropped")
	}
}

func TestDisabledAndBounded(t *testing.T) {
	off := New[string, int](0, 10)
	off.Put("a", 1, t0, off.Generation())
	if _, ok := off.Get("a", t0); ok {
		t.Fatal("a zero TTL cached")
	}
	c := New[int, int](time.Minute, 3)
	for i := range 10 {
		c.Put(i, i, t0, c.Generation())
	}
	if len(c.m) > 3 {
		t.Fatalf("%d entries past the bound of 3", len(c.m))
	}
	if v, ok := c.Get(9, t0); !ok || v != 9 {
		t.Fatal("the newest entry was lost")
	}
}

// TestWeighed: the entries' total cost stays under the bound; a value
// larger than the bound alone is not kept; replacing and dropping entries
// give their cost back.
func TestWeighed(t *testing.T) {
	c := NewWeighed[string, string](time.Minute, 100, 10, func(v string) int64 { return int64(len(v)) })
	put := func(k, v string) { c.Put(k, v, t0, c.Generation()) }
	has := func(k string) bool { _, ok := c.Get(k, t0); return ok }
	put("a", "aaaa")
	put("b", "bbbb")
	if !has("a") || !has("b") || c.used != 8 {
		t.Fatalf("two entries of 4: used %d", c.used)
	}
	put("a", "a") // replaced: 1 + 4
	if c.used != 5 {
		t.Fatalf("after a replacement: used %d", c.used)
	}
	put("c", "cccccc") // 5 + 6 > 10: emptied first
	if has("a") || has("b") || !has("c") || c.used != 6 {
		t.Fatalf("past the bound: a %v b %v c %v used %d", has("a"), has("b"), has("c"), c.used)
	}
	put("huge", "0123456789x")
	if has("huge") || !has("c") {
		t.Fatal("a value larger than the bound was kept, or evicted the rest")
	}
	c.Drop("c")
	if c.used != 0 {
		t.Fatalf("after a drop: used %d", c.used)
	}
	put("d", "dd")
	c.DropIf(func(string, string) bool { return true })
	put("e", "ee")
	c.DropAll()
	if c.used != 0 || has("e") {
		t.Fatalf("after dropping everything: used %d", c.used)
	}
}
