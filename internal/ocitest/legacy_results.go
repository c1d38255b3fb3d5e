package ocitest

import (
	"encoding/xml"
	"fmt"
	"os"
	"strings"
)

// ginkgoJUnit is the part of Ginkgo's (v2) JUnit report read here. Each
// test case is a spec ("[It] …") or a suite node ("[BeforeSuite]",
// "[ReportAfterSuite] …"); its status is Ginkgo's spec state.
type ginkgoJUnit struct {
	Suites []struct {
		Cases []struct {
			Name    string `xml:"name,attr"`
			Status  string `xml:"status,attr"`
			Failure *struct {
				Message     string `xml:"message,attr"`
				Description string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message     string `xml:"message,attr"`
				Description string `xml:",chardata"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// readGinkgoJUnit counts the specs of a Ginkgo JUnit report by state and
// lists the failed ones. Suite nodes are not specs: they are counted only
// when they did not pass (as errors, since they break the whole suite).
func readGinkgoJUnit(path string) (Counts, []Failure, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Counts{}, nil, fmt.Errorf("the suite's junit.xml: %w", err)
	}
	var j ginkgoJUnit
	if err := xml.Unmarshal(b, &j); err != nil {
		return Counts{}, nil, fmt.Errorf("junit.xml: %w", err)
	}
	var c Counts
	var failures []Failure
	for _, s := range j.Suites {
		for _, tc := range s.Cases {
			spec := strings.HasPrefix(tc.Name, "[It]")
			switch tc.Status {
			case "passed":
				if spec {
					c.Passed++
				}
				continue
			case "skipped":
				if spec {
					c.Skipped++
				}
				continue
			case "pending":
				if spec {
					c.Disabled++
				}
				continue
			case "failed", "timedout":
				if spec {
					c.Failed++
				} else {
					c.Errors++
				}
			default: // panicked, interrupted, aborted
				c.Errors++
			}
			f := Failure{Name: tc.Name, Status: tc.Status}
			switch {
			case tc.Failure != nil:
				f.Message = firstNonEmpty(tc.Failure.Description, tc.Failure.Message)
			case tc.Error != nil:
				f.Message = firstNonEmpty(tc.Error.Description, tc.Error.Message)
			}
			failures = append(failures, f)
		}
	}
	return c, failures, nil
}

// firstNonEmpty returns the first of ss that is not blank.
func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
