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
