package fault

// Quarantined is the answer of every read path for content the quarantine
// lane holds back (423 quarantined): the reason, and the quarantine item
// when known, let a publisher find out why and whom to ask.
func Quarantined(what, status, reason, itemID string) *Error {
	e := Coded(KindLocked, "quarantined", "%s is %s by the quarantine lane: %s", what, status, reason).With("status", status)
	if itemID != "" {
		e = e.With("quarantineId", itemID)
	}
	return e
}
