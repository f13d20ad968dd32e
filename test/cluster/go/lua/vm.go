// The Lua VM of github.com/argoproj/argo-cd v3.5.1, util/lua/lua.go (Apache-2.0), reduced to what
// runs a resource customization from argocd-cm: the same libraries, the same 1 s limit, the same
// conversion of the object into Lua (decodeValue) and back out (layeh.com/gopher-json), and the
// same reading of what a health, discovery or action script returns. Built-in scripts, wildcard
// keys and action parameters of type other than string are left out.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	luajson "layeh.com/gopher-json"
)

const (
	incorrectReturnType = "expect %s output from Lua script, not %s"
	invalidHealthStatus = "Lua returned an invalid health status"
)

// HealthStatus is gitops-engine's pkg/health.HealthStatus.
type HealthStatus struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}

// ResourceAction is appv1.ResourceAction: one entry of the UI's action menu.
type ResourceAction struct {
	Name        string                `json:"name,omitempty"`
	Params      []ResourceActionParam `json:"params,omitempty"`
	Disabled    bool                  `json:"disabled,omitempty"`
	IconClass   string                `json:"iconClass,omitempty"`
	DisplayName string                `json:"displayName,omitempty"`
}

// ResourceActionParam is appv1.ResourceActionParam.
type ResourceActionParam struct {
	Name string `json:"name,omitempty"`
}

// K8SOperation is what Argo CD does with an object an action returns.
type K8SOperation string

const (
	CreateOperation K8SOperation = "create"
	PatchOperation  K8SOperation = "patch"
)

func (op *K8SOperation) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case `"create"`:
		*op = CreateOperation
	case `"patch"`:
		*op = PatchOperation
	default:
		return fmt.Errorf("unsupported operation: %s", data)
	}
	return nil
}

// ImpactedResource is one object an action returns, with the operation to perform on it.
type ImpactedResource struct {
	UnstructuredObj *unstructured.Unstructured `json:"resource"`
	K8SOperation    K8SOperation               `json:"operation"`
}

// VM runs scripts as Argo CD's lua.VM does.
type VM struct {
	// UseOpenLibs is resource.customizations.useOpenLibs.<group_kind>: all of Lua's standard
	// libraries instead of the base, table, package and safe os ones.
	UseOpenLibs bool
}

func (vm VM) runLua(obj *unstructured.Unstructured, script string, actionParams map[string]string) (*lua.LState, error) {
	l := lua.NewState(lua.Options{
		SkipOpenLibs: !vm.UseOpenLibs,
	})
	defer l.Close()
	for _, pair := range []struct {
		n string
		f lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, OpenSafeOs},
	} {
		if err := l.CallByParam(lua.P{
			Fn:      l.NewFunction(pair.f),
			NRet:    0,
			Protect: true,
		}, lua.LString(pair.n)); err != nil {
			panic(err)
		}
	}
	l.PreloadModule(lua.OsLibName, SafeOsLoader)

	ctx, cancel := context.WithTimeout(context.Background(), 1*time.Second)
	defer cancel()
	l.SetContext(ctx)

	params := l.CreateTable(0, len(actionParams))
	for name, value := range actionParams {
		params.RawSetH(lua.LString(name), decodeValue(l, value))
	}
	l.SetGlobal("actionParams", params)

	l.SetGlobal("obj", decodeValue(l, obj.Object))
	err := l.DoString(script)

	// Argo CD drops the Lua stack trace from run-time errors, since users see them.
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Type == lua.ApiErrorRun {
		apiErr.StackTrace = ""
		err = apiErr
	}
	return l, err
}

// ExecuteHealthLua is lua.VM.ExecuteHealthLua.
func (vm VM) ExecuteHealthLua(obj *unstructured.Unstructured, script string) (*HealthStatus, error) {
	l, err := vm.runLua(obj, script, nil)
	if err != nil {
		return nil, err
	}
	returnValue := l.Get(-1)
	if returnValue.Type() == lua.LTTable {
		jsonBytes, err := luajson.Encode(returnValue)
		if err != nil {
			return nil, err
		}
		healthStatus := &HealthStatus{}
		err = json.Unmarshal(jsonBytes, healthStatus)
		if err != nil {
			// An empty table encodes as [], which Argo CD reads as an empty status.
			typeError := &json.UnmarshalTypeError{Value: "array", Type: reflect.TypeFor[*HealthStatus]()}
			if errors.As(err, &typeError) {
				return &HealthStatus{}, nil
			}
			return nil, err
		}
		if !isValidHealthStatusCode(healthStatus.Status) {
			return &HealthStatus{Status: "Unknown", Message: invalidHealthStatus}, nil
		}
		return healthStatus, nil
	} else if returnValue.Type() == lua.LTNil {
		return &HealthStatus{}, nil
	}
	return nil, fmt.Errorf(incorrectReturnType, "table", returnValue.Type().String())
}

func isValidHealthStatusCode(code string) bool {
	switch code {
	case "Unknown", "Progressing", "Suspended", "Healthy", "Degraded", "Missing":
		return true
	}
	return false
}

// runForTable runs a script that must return a table and encodes that table as JSON.
func (vm VM) runForTable(obj *unstructured.Unstructured, script string, actionParams map[string]string) ([]byte, error) {
	l, err := vm.runLua(obj, script, actionParams)
	if err != nil {
		return nil, err
	}
	returnValue := l.Get(-1)
	if returnValue.Type() != lua.LTTable {
		return nil, fmt.Errorf(incorrectReturnType, "table", returnValue.Type().String())
	}
	jsonBytes, err := luajson.Encode(returnValue)
	if err != nil {
		return nil, fmt.Errorf("error in converting to lua table: %w", err)
	}
	return jsonBytes, nil
}

// ExecuteResourceAction is lua.VM.ExecuteResourceAction.
func (vm VM) ExecuteResourceAction(obj *unstructured.Unstructured, script string, actionParams map[string]string) ([]ImpactedResource, error) {
	jsonBytes, err := vm.runForTable(obj, script, actionParams)
	if err != nil {
		return nil, err
	}
	jsonString := bytes.NewBuffer(jsonBytes).String()
	if len(jsonString) < 2 {
		return nil, errors.New("Lua output was not a valid json object or array")
	}
	var impactedResources []ImpactedResource
	if jsonString[0] == '[' && jsonString[len(jsonString)-1] == ']' {
		// New style: a list of {operation, resource}.
		if err := json.Unmarshal(jsonBytes, &impactedResources); err != nil {
			return nil, err
		}
	} else {
		// Old style: the modified object, to be patched.
		newObj, err := unmarshalToUnstructured(string(jsonBytes))
		if err != nil {
			return nil, err
		}
		impactedResources = append(impactedResources, ImpactedResource{newObj, PatchOperation})
	}
	for _, impactedResource := range impactedResources {
		if impactedResource.K8SOperation == PatchOperation {
			impactedResource.UnstructuredObj.Object = cleanReturnedObj(impactedResource.UnstructuredObj.Object, obj.Object)
		}
	}
	return impactedResources, nil
}

// unmarshalToUnstructured is appv1.UnmarshalToUnstructured.
func unmarshalToUnstructured(resource string) (*unstructured.Unstructured, error) {
	if resource == "" || resource == "null" {
		return nil, nil
	}
	var obj unstructured.Unstructured
	if err := json.Unmarshal([]byte(resource), &obj); err != nil {
		return nil, err
	}
	return &obj, nil
}

// cleanReturnedObj: Lua cannot tell an empty table meant as an object from one meant as an
// array, and gopher-json encodes it as []. Where the live object had an object, Argo CD puts {}
// back.
func cleanReturnedObj(newObj, obj map[string]any) map[string]any {
	mapToReturn := newObj
	for key := range obj {
		if newValueInterface, ok := newObj[key]; ok {
			oldValueInterface, ok := obj[key]
			if !ok {
				continue
			}
			switch newValue := newValueInterface.(type) {
			case map[string]any:
				if oldValue, ok := oldValueInterface.(map[string]any); ok {
					mapToReturn[key] = cleanReturnedObj(newValue, oldValue)
				}
			case []any:
				switch oldValue := oldValueInterface.(type) {
				case map[string]any:
					if len(newValue) == 0 {
						mapToReturn[key] = map[string]any{}
					}
				case []any:
					mapToReturn[key] = cleanReturnedArray(newValue, oldValue)
				}
			}
		}
	}
	return mapToReturn
}

func cleanReturnedArray(newObj, obj []any) []any {
	arrayToReturn := newObj
	for i := range newObj {
		if i >= len(obj) {
			break
		}
		switch newValue := newObj[i].(type) {
		case map[string]any:
			if oldValue, ok := obj[i].(map[string]any); ok {
				arrayToReturn[i] = cleanReturnedObj(newValue, oldValue)
			}
		case []any:
			if oldValue, ok := obj[i].([]any); ok {
				arrayToReturn[i] = cleanReturnedArray(newValue, oldValue)
			}
		}
	}
	return arrayToReturn
}

// ExecuteResourceActionDiscovery is lua.VM.ExecuteResourceActionDiscovery.
func (vm VM) ExecuteResourceActionDiscovery(obj *unstructured.Unstructured, scripts []string) ([]ResourceAction, error) {
	if len(scripts) == 0 {
		return nil, errors.New("no action discovery script provided")
	}
	availableActionsMap := make(map[string]ResourceAction)
	for _, script := range scripts {
		jsonBytes, err := vm.runForTable(obj, script, nil)
		if err != nil {
			return nil, err
		}
		// An empty table encodes as [], meaning no actions.
		if string(jsonBytes) == "[]" {
			continue
		}
		actionsMap := make(map[string]any)
		if err := json.Unmarshal(jsonBytes, &actionsMap); err != nil {
			return nil, fmt.Errorf("error unmarshaling action table: %w", err)
		}
		for key, value := range actionsMap {
			resourceAction := ResourceAction{Name: key, Disabled: isActionDisabled(value)}
			if _, exist := availableActionsMap[key]; exist {
				continue
			}
			if _, empty := value.([]any); empty {
				availableActionsMap[key] = resourceAction
				continue
			}
			resourceActionBytes, err := json.Marshal(value)
			if err != nil {
				return nil, fmt.Errorf("error marshaling resource action: %w", err)
			}
			if err := json.Unmarshal(resourceActionBytes, &resourceAction); err != nil {
				return nil, fmt.Errorf("error unmarshaling resource action: %w", err)
			}
			availableActionsMap[key] = resourceAction
		}
	}
	availableActions := make([]ResourceAction, 0, len(availableActionsMap))
	for _, action := range availableActionsMap {
		availableActions = append(availableActions, action)
	}
	return availableActions, nil
}

// isActionDisabled: actions are enabled unless their table says disabled = true.
func isActionDisabled(actionsMap any) bool {
	actions, ok := actionsMap.(map[string]any)
	if !ok {
		return false
	}
	for key, val := range actions {
		if vv, ok := val.(bool); ok && key == "disabled" {
			return vv
		}
	}
	return false
}

// decodeValue turns the object (as the cluster cache holds it: int64 for integers) into Lua
// values. Every number becomes a float64 LNumber; null, and so any array item that is null,
// disappears, as a Lua table cannot hold nil.
func decodeValue(l *lua.LState, value any) lua.LValue {
	switch converted := value.(type) {
	case bool:
		return lua.LBool(converted)
	case float64:
		return lua.LNumber(converted)
	case string:
		return lua.LString(converted)
	case json.Number:
		return lua.LString(converted)
	case int:
		return lua.LNumber(converted)
	case int32:
		return lua.LNumber(converted)
	case int64:
		return lua.LNumber(converted)
	case []any:
		arr := l.CreateTable(len(converted), 0)
		for _, item := range converted {
			arr.Append(decodeValue(l, item))
		}
		return arr
	case map[string]any:
		tbl := l.CreateTable(0, len(converted))
		for key, item := range converted {
			tbl.RawSetH(lua.LString(key), decodeValue(l, item))
		}
		return tbl
	case nil:
		return lua.LNil
	}
	return lua.LNil
}
