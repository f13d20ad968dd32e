// Command argocd-lua runs argocd-cm resource customizations (health, action discovery, actions)
// the way Argo CD v3.5.1 does, on the same gopher-lua, so their tests see what Argo CD would see.
//
// It reads one JSON request on stdin:
//
//	{"mode": "health" | "discovery" | "action",
//	 "argocdCm": {<argocd-cm data>}, "obj": {<the live object>},
//	 "action": "<name, for mode action>", "actionParams": {"<name>": "<value>"}}
//
// and prints one JSON answer on stdout: {"health": {status, message}}, {"actions": [...]} sorted
// by name, or {"resources": [{operation, resource, patch}]} where patch is the JSON merge patch
// Argo CD sends for a "patch" operation (null when nothing changed). A script or request error
// prints {"error": "..."} and exits 1.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"

	jsonpatch "github.com/evanphx/json-patch"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// argoCDVersion is the Argo CD release whose Lua handling this program mirrors.
const argoCDVersion = "v3.5.1"

type request struct {
	Mode         string            `json:"mode"`
	ArgoCDCM     map[string]string `json:"argocdCm"`
	Obj          json.RawMessage   `json:"obj"`
	Action       string            `json:"action,omitempty"`
	ActionParams map[string]string `json:"actionParams,omitempty"`
}

type resourceResult struct {
	Operation K8SOperation   `json:"operation"`
	Resource  map[string]any `json:"resource"`
	Patch     any            `json:"patch"`
}

type response struct {
	Health    *HealthStatus    `json:"health,omitempty"`
	Actions   []ResourceAction `json:"actions,omitempty"`
	Resources []resourceResult `json:"resources,omitempty"`
	Error     string           `json:"error,omitempty"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Printf("argocd-lua: Argo CD %s Lua handling on github.com/yuin/gopher-lua %s\n", argoCDVersion, moduleVersion("github.com/yuin/gopher-lua"))
		return
	}
	answer, err := handle(os.Stdin)
	if err != nil {
		answer = &response{Error: err.Error()}
	}
	out, marshalErr := json.Marshal(answer)
	if marshalErr != nil {
		out = []byte(fmt.Sprintf(`{"error":%q}`, marshalErr.Error()))
		err = marshalErr
	}
	fmt.Println(string(out))
	if err != nil {
		os.Exit(1)
	}
}

func moduleVersion(path string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == path {
				return dep.Version
			}
		}
	}
	return "(unknown)"
}

func handle(input io.Reader) (*response, error) {
	var req request
	decoder := json.NewDecoder(input)
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&req); err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	if len(req.Obj) == 0 {
		return nil, errors.New("request: obj is missing")
	}
	// The live object as Argo CD's cluster cache holds it: integers as int64.
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(req.Obj); err != nil {
		return nil, fmt.Errorf("request: obj: %w", err)
	}
	overrides, err := resourceOverrides(req.ArgoCDCM)
	if err != nil {
		return nil, fmt.Errorf("argocd-cm: %w", err)
	}
	key := getConfigMapKey(obj.GroupVersionKind())
	override := overrides[key]
	vm := VM{UseOpenLibs: override.UseOpenLibs}

	switch req.Mode {
	case "health":
		if override.HealthLua == "" {
			return nil, fmt.Errorf("argocd-cm has no health script for %s", key)
		}
		health, err := vm.ExecuteHealthLua(obj, override.HealthLua)
		if err != nil {
			return nil, err
		}
		return &response{Health: health}, nil
	case "discovery":
		actions, err := actionsOf(override, key)
		if err != nil {
			return nil, err
		}
		if actions.MergeBuiltinActions {
			return nil, errors.New("mergeBuiltinActions: Argo CD's built-in actions are not part of this program")
		}
		found, err := vm.ExecuteResourceActionDiscovery(obj, []string{actions.ActionDiscoveryLua})
		if err != nil {
			return nil, err
		}
		sort.Slice(found, func(i, j int) bool { return found[i].Name < found[j].Name })
		return &response{Actions: found}, nil
	case "action":
		actions, err := actionsOf(override, key)
		if err != nil {
			return nil, err
		}
		script := ""
		for _, definition := range actions.Definitions {
			if definition.Name == req.Action {
				script = definition.ActionLua
				break
			}
		}
		if script == "" {
			return nil, fmt.Errorf("argocd-cm defines no action %q for %s", req.Action, key)
		}
		impacted, err := vm.ExecuteResourceAction(obj, script, req.ActionParams)
		if err != nil {
			return nil, err
		}
		resources, err := describe(obj, impacted)
		if err != nil {
			return nil, err
		}
		return &response{Resources: resources}, nil
	default:
		return nil, fmt.Errorf("request: mode must be health, discovery or action, not %q", req.Mode)
	}
}

func actionsOf(override ResourceOverride, key string) (ResourceActions, error) {
	if override.Actions == "" {
		return ResourceActions{}, fmt.Errorf("argocd-cm has no actions for %s", key)
	}
	actions, err := override.getActions()
	if err != nil {
		return actions, fmt.Errorf("argocd-cm actions for %s: %w", key, err)
	}
	return actions, nil
}

// describe adds to each "patch" result the JSON merge patch Argo CD's server computes from the
// live and the returned object (server/application RunResourceActionV2, patchResource).
func describe(live *unstructured.Unstructured, impacted []ImpactedResource) ([]resourceResult, error) {
	results := make([]resourceResult, 0, len(impacted))
	for _, resource := range impacted {
		if resource.UnstructuredObj == nil {
			return nil, fmt.Errorf("the action returned a %s operation without a resource", resource.K8SOperation)
		}
		result := resourceResult{Operation: resource.K8SOperation, Resource: resource.UnstructuredObj.Object}
		if resource.K8SOperation == PatchOperation {
			patch, err := mergePatch(live, resource.UnstructuredObj)
			if err != nil {
				return nil, err
			}
			result.Patch = patch
		}
		results = append(results, result)
	}
	return results, nil
}

// mergePatch is jsonpatch.CreateMergePatch of the two objects; nil when they are the same.
func mergePatch(live, updated *unstructured.Unstructured) (any, error) {
	liveBytes, err := json.Marshal(live)
	if err != nil {
		return nil, fmt.Errorf("error marshaling live object: %w", err)
	}
	updatedBytes, err := json.Marshal(updated)
	if err != nil {
		return nil, fmt.Errorf("error marshaling new object: %w", err)
	}
	diff, err := jsonpatch.CreateMergePatch(liveBytes, updatedBytes)
	if err != nil {
		return nil, fmt.Errorf("error calculating merge patch: %w", err)
	}
	if string(diff) == "{}" {
		return nil, nil
	}
	var patch any
	err = json.Unmarshal(diff, &patch)
	return patch, err
}
