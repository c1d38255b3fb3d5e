// Package eventstest helps test event handlers: CheckIdempotent delivers
// every event twice and compares the handler's state, Append writes events
// into the outbox, and Drain runs a worker until nothing is due.
package eventstest
