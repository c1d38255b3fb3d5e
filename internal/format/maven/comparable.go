package maven

import (
	"cmp"
	"strings"
)

// This file re-implements org.apache.maven.artifact.versioning
// .ComparableVersion as of Maven 3.9 (including MNG-6964, which compares a
// whole sub-list against a missing item, and MNG-7644, which reads
// "1.0.RC1" as "1.0-RC1"), the order Maven uses to pick "newer" versions.
//
// A version is lowercased and split into items at ".", at "-" and at every
// switch between digits and other characters. "-" and a switch between
// digits and letters open a nested list, so "1.0-alpha-1" is
// [1, [alpha, [1]]]. Numbers compare numerically; strings are
// qualifiers, ordered alpha < beta < milestone < rc = cr < snapshot <
// "" = ga = final = release < sp < any other string (those lexically);
// "a1", "b1" and "m1" are alpha-1, beta-1 and milestone-1. Trailing
// "null" items (0, "", empty lists) are dropped from every list, so
// 1 == 1.0 == 1.0.0 == 1-ga. Between kinds: a number is greater than a
// list, which is greater than a string.

type itemKind uint8

const (
	numberItem itemKind = iota
	stringItem
	listItem
)

// item is one element of a parsed version.
type item struct {
	kind  itemKind
	value string  // digits without leading zeros, or the aliased qualifier
	list  []*item // for listItem
}

// qualifiers lists the known qualifiers in order; the release qualifier
// is "".
var qualifiers = []string{"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"}

var aliases = map[string]string{"ga": "", "final": "", "release": "", "cr": "rc"}

// releaseIndex is the comparable form of the release qualifier "".
const releaseIndex = "5"

// comparableQualifier maps a qualifier to a string that orders correctly:
// its index for known qualifiers, and "7-" plus itself for unknown ones,
// which puts those after "sp" and in lexical order.
func comparableQualifier(q string) string {
	for i, k := range qualifiers {
		if k == q {
			return string(rune('0' + i))
		}
	}
	return "7-" + q
}

func newString(s string, followedByDigit bool) *item {
	if followedByDigit && len(s) == 1 {
		switch s {
		case "a":
			s = "alpha"
		case "b":
			s = "beta"
		case "m":
			s = "milestone"
		}
	}
	if a, ok := aliases[s]; ok {
		s = a
	}
	return &item{kind: stringItem, value: s}
}

func newItem(isDigit bool, s string) *item {
	if isDigit {
		s = strings.TrimLeft(s, "0")
		if s == "" {
			s = "0"
		}
		return &item{kind: numberItem, value: s}
	}
	return newString(s, false)
}

func (it *item) isNull() bool {
	switch it.kind {
	case numberItem:
		return it.value == "0"
	case stringItem:
		return it.value == ""
	}
	return len(it.list) == 0
}

// compare orders it against other; a nil other is a missing item.
func (it *item) compare(other *item) int {
	switch it.kind {
	case numberItem:
		if other == nil {
			if it.value == "0" {
				return 0
			}
			return 1
		}
		if other.kind != numberItem {
			return 1 // 1.1 > 1-sp, 1.1 > 1-1
		}
		if c := cmp.Compare(len(it.value), len(other.value)); c != 0 {
			return c
		}
		return strings.Compare(it.value, other.value)
	case stringItem:
		if other == nil {
			// 1-rc < 1, 1-sp > 1
			return strings.Compare(comparableQualifier(it.value), releaseIndex)
		}
		if other.kind != stringItem {
			return -1 // 1.any < 1.1, 1.any < 1-1
		}
		return strings.Compare(comparableQualifier(it.value), comparableQualifier(other.value))
	}
	if other == nil {
		for _, sub := range it.list {
			if c := sub.compare(nil); c != 0 {
				return c
			}
		}
		return 0
	}
	switch other.kind {
	case numberItem:
		return -1 // 1-1 < 1.0.x
	case stringItem:
		return 1 // 1-1 > 1-sp
	}
	for i := 0; i < len(it.list) || i < len(other.list); i++ {
		var l, r *item
		if i < len(it.list) {
			l = it.list[i]
		}
		if i < len(other.list) {
			r = other.list[i]
		}
		var c int
		if l == nil {
			c = -r.compare(nil)
		} else {
			c = l.compare(r)
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// normalize drops trailing null items, looking through trailing lists.
func (it *item) normalize() {
	for i := len(it.list) - 1; i >= 0; i-- {
		last := it.list[i]
		if last.isNull() {
			it.list = append(it.list[:i], it.list[i+1:]...)
		} else if last.kind != listItem {
			break
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parse splits a version into items as ComparableVersion.parseVersion does.
// Only ASCII digits count as digits.
func parse(version string) *item {
	version = strings.ToLower(version)
	root := &item{kind: listItem}
	list := root
	stack := []*item{root}
	push := func() {
		l := &item{kind: listItem}
		list.list = append(list.list, l)
		list = l
		stack = append(stack, l)
	}
	add := func(it *item) { list.list = append(list.list, it) }
	zero := func() *item { return &item{kind: numberItem, value: "0"} }

	digit := false
	start := 0
	for i := 0; i < len(version); i++ {
		c := version[i]
		switch {
		case c == '.' || c == '-':
			if i == start {
				add(zero())
			} else {
				add(newItem(digit, version[start:i]))
			}
			start = i + 1
			if c == '-' {
				push()
			}
		case isDigit(c):
			if !digit && i > start {
				// "1.0.0.X1" reads as "1.0.0-X1" (MNG-7644).
				if len(list.list) > 0 {
					push()
				}
				add(newString(version[start:i], true))
				start = i
				push()
			}
			digit = true
		default:
			if digit && i > start {
				add(newItem(true, version[start:i]))
				start = i
				push()
			}
			digit = false
		}
	}
	if len(version) > start {
		if !digit && len(list.list) > 0 {
			push()
		}
		add(newItem(digit, version[start:]))
	}
	for i := len(stack) - 1; i >= 0; i-- {
		stack[i].normalize()
	}
	return root
}

// Compare orders two Maven versions as ComparableVersion.compareTo does.
// It accepts any string.
func Compare(a, b string) int {
	return parse(a).compare(parse(b))
}

// Canonical returns the canonical form ComparableVersion.getCanonical
// prints ("1.0.0.RELEASE" is "1", "1.0-alpha1" is "1-alpha-1"), for
// messages and tests.
func Canonical(version string) string {
	var b strings.Builder
	parse(version).write(&b)
	return b.String()
}

func (it *item) write(b *strings.Builder) {
	for i, sub := range it.list {
		if i > 0 {
			if sub.kind == listItem {
				b.WriteByte('-')
			} else {
				b.WriteByte('.')
			}
		}
		if sub.kind == listItem {
			sub.write(b)
		} else {
			b.WriteString(sub.value)
		}
	}
}
