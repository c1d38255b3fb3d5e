package ocitest

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"gopkg.in/yaml.v3"
)

// errNoResults is the runner's silent failure: it exits 0 without writing
// anything when its configuration does not load.
var errNoResults = errors.New("the runner wrote no results.yaml (did its configuration load? see its output)")

// readResultsYAML reads the "apis:" and "data:" sections of the runner's
// results.yaml (the "config:" section, its settings, is not needed).
func readResultsYAML(path string) (apis, data map[string]string, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, errNoResults
	}
	if err != nil {
		return nil, nil, err
	}
	var doc struct {
		APIs map[string]string `yaml:"apis"`
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, nil, fmt.Errorf("results.yaml: %w", err)
	}
	return doc.APIs, doc.Data, nil
}

// runnerJUnit is the part of the runner's junit.xml read here: the counts
// of checks on the root element (one test case can hold several checks),
// and each leaf test with its status and errors (in system-out; system-err
// holds the requests and responses, which can be megabytes).
type runnerJUnit struct {
	Tests    int `xml:"tests,attr"`
	Errors   int `xml:"errors,attr"`
	Failures int `xml:"failures,attr"`
	Skipped  int `xml:"skipped,attr"`
	Disabled int `xml:"disabled,attr"`
	Suites   []struct {
		Cases []struct {
			Name      string `xml:"name,attr"`
			Status    string `xml:"status,attr"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// readRunnerJUnit counts the runner's checks and tests by outcome and
// lists its failed and errored tests.
func readRunnerJUnit(path string) (checks, tests Counts, failures []Failure, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Counts{}, Counts{}, nil, fmt.Errorf("the runner's junit.xml: %w", err)
	}
	var j runnerJUnit
	if err := xml.Unmarshal(b, &j); err != nil {
		return Counts{}, Counts{}, nil, fmt.Errorf("junit.xml: %w", err)
	}
	checks = Counts{Failed: j.Failures, Errors: j.Errors, Skipped: j.Skipped, Disabled: j.Disabled}
	checks.Passed = j.Tests - checks.Failed - checks.Errors - checks.Skipped - checks.Disabled
	for _, s := range j.Suites {
		for _, tc := range s.Cases {
			switch tc.Status {
			case "passed":
				tests.Passed++
			case "skipped": // the runner's Skip and Disabled both
				tests.Skipped++
			case "failure":
				tests.Failed++
			default: // "error"
				tests.Errors++
			}
			if tc.Status == "failure" || tc.Status == "error" {
				failures = append(failures, Failure{Name: tc.Name, Status: tc.Status, Message: tc.SystemOut})
			}
		}
	}
	return checks, tests, failures, nil
}
