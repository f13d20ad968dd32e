// Command kstatus prints what sigs.k8s.io/cli-utils' kstatus computes for Kubernetes objects: the
// verdict Flux's health checks and Helm 4's `--wait` act on, from the library they use.
//
// It reads JSON objects on stdin (one object, an array of objects, or several of either one after
// the other) and prints one JSON array on stdout, one entry per object in input order:
//
//	[{"kind": "...", "name": "...", "namespace": "...", "status": "InProgress" | "Failed" |
//	  "Current" | "Terminating" | "NotFound" | "Unknown", "message": "..."}]
//
// A malformed input or an object kstatus cannot compute prints {"error": "..."} and exits 1.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Printf("kstatus: sigs.k8s.io/cli-utils %s pkg/kstatus/status\n", moduleVersion("sigs.k8s.io/cli-utils"))
		return
	}
	verdicts, err := compute(os.Stdin)
	if err != nil {
		_ = json.NewEncoder(os.Stdout).Encode(map[string]string{"error": err.Error()})
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(verdicts); err != nil {
		os.Exit(1)
	}
}

func compute(input io.Reader) ([]verdict, error) {
	objects, err := readObjects(input)
	if err != nil {
		return nil, err
	}
	verdicts := make([]verdict, 0, len(objects))
	for i, object := range objects {
		u := &unstructured.Unstructured{Object: object}
		result, err := status.Compute(u)
		if err != nil {
			return nil, fmt.Errorf("object %d (%s %s): %w", i, u.GetKind(), u.GetName(), err)
		}
		verdicts = append(verdicts, verdict{
			Kind:      u.GetKind(),
			Name:      u.GetName(),
			Namespace: u.GetNamespace(),
			Status:    result.Status.String(),
			Message:   result.Message,
		})
	}
	return verdicts, nil
}

// readObjects decodes a stream of JSON values, each an object or an array of objects.
func readObjects(input io.Reader) ([]map[string]any, error) {
	decoder := json.NewDecoder(input)
	decoder.UseNumber()
	var objects []map[string]any
	for {
		var value any
		err := decoder.Decode(&value)
		if errors.Is(err, io.EOF) {
			return objects, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		switch typed := value.(type) {
		case map[string]any:
			objects = append(objects, normalize(typed).(map[string]any))
		case []any:
			for i, item := range typed {
				object, ok := item.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("array entry %d is not an object", i)
				}
				objects = append(objects, normalize(object).(map[string]any))
			}
		default:
			return nil, fmt.Errorf("expected an object or an array of objects, got %T", value)
		}
	}
}

// normalize turns json.Number into int64 or float64, the types unstructured's accessors
// (observedGeneration, generation) expect, as client-go's JSON decoding produces them.
func normalize(value any) any {
	switch typed := value.(type) {
	case map[string]any:
		for key, entry := range typed {
			typed[key] = normalize(entry)
		}
		return typed
	case []any:
		for i, entry := range typed {
			typed[i] = normalize(entry)
		}
		return typed
	case json.Number:
		if integer, err := typed.Int64(); err == nil {
			return integer
		}
		float, _ := typed.Float64()
		return float
	default:
		return value
	}
}

func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	for _, dep := range info.Deps {
		if dep.Path == path {
			return dep.Version
		}
	}
	return "(unknown)"
}
