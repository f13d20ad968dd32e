// How Argo CD v3.5.1 finds a kind's scripts in the argocd-cm data (util/settings/settings.go
// appendResourceOverridesFromSplitKeys, util/lua/lua.go GetConfigMapKey, GetResourceAction and
// GetResourceActionDiscovery), for the split keys resource.customizations.<type>.<group_kind>.
package main

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// ResourceOverride is the part of appv1.ResourceOverride that holds scripts.
type ResourceOverride struct {
	HealthLua   string
	UseOpenLibs bool
	Actions     string
}

// ResourceActions is appv1.ResourceActions, the YAML under resource.customizations.actions.*.
type ResourceActions struct {
	ActionDiscoveryLua  string                     `json:"discovery.lua,omitempty"`
	Definitions         []ResourceActionDefinition `json:"definitions,omitempty"`
	MergeBuiltinActions bool                       `json:"mergeBuiltinActions,omitempty"`
}

// ResourceActionDefinition is appv1.ResourceActionDefinition.
type ResourceActionDefinition struct {
	Name      string `json:"name"`
	ActionLua string `json:"action.lua"`
}

const resourceCustomizationsKey = "resource.customizations"

// resourceOverrides reads the split customization keys of argocd-cm's data.
func resourceOverrides(data map[string]string) (map[string]ResourceOverride, error) {
	if value := data[resourceCustomizationsKey]; value != "" {
		return nil, fmt.Errorf("the single %s key is not read here; use resource.customizations.<type>.<group_kind> keys", resourceCustomizationsKey)
	}
	overrides := map[string]ResourceOverride{}
	for k, v := range data {
		if !strings.HasPrefix(k, resourceCustomizationsKey) {
			continue
		}
		parts := strings.SplitN(k, ".", 4)
		if len(parts) < 4 {
			continue
		}
		overrideKey, err := convertToOverrideKey(parts[3])
		if err != nil {
			return nil, err
		}
		if overrideKey == "all" {
			overrideKey = "*/*"
		}
		overrideVal := overrides[overrideKey]
		switch customizationType := parts[2]; customizationType {
		case "health":
			overrideVal.HealthLua = v
		case "useOpenLibs":
			useOpenLibs, err := strconv.ParseBool(v)
			if err != nil {
				return nil, err
			}
			overrideVal.UseOpenLibs = useOpenLibs
		case "actions":
			overrideVal.Actions = v
		case "ignoreDifferences", "ignoreResourceUpdates", "knownTypeFields":
			// Argo CD reads these too; they hold no scripts.
		default:
			return nil, fmt.Errorf("resource customization type %s not supported", customizationType)
		}
		overrides[overrideKey] = overrideVal
	}
	return overrides, nil
}

func convertToOverrideKey(groupKind string) (string, error) {
	parts := strings.Split(groupKind, "_")
	if len(parts) == 2 {
		return fmt.Sprintf("%s/%s", parts[0], parts[1]), nil
	} else if len(parts) == 1 && groupKind != "" {
		return groupKind, nil
	}
	return "", fmt.Errorf("group kind should be in format `resource.customizations.<type>.<group_kind>` or resource.customizations.<type>.<kind>`, got group kind: '%s'", groupKind)
}

func getConfigMapKey(gvk schema.GroupVersionKind) string {
	if gvk.Group == "" {
		return gvk.Kind
	}
	return fmt.Sprintf("%s/%s", gvk.Group, gvk.Kind)
}

func (o ResourceOverride) getActions() (ResourceActions, error) {
	var actions ResourceActions
	err := yaml.Unmarshal([]byte(o.Actions), &actions)
	return actions, err
}
