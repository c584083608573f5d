package fakeslack

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Block Kit limits that the fake enforces, as Slack documents them for
// blocks, option objects and modals. Lengths count characters (runes).
const (
	// maxMessageBlocks is the block limit of a message. Slack's method
	// reference does not state it, so 50 comes from secondary sources.
	maxMessageBlocks   = 50
	maxViewBlocks      = 100
	maxSectionText     = 3000
	maxSectionFields   = 10
	maxFieldText       = 2000
	maxHeaderText      = 150
	maxBlockID         = 255
	maxOptions         = 100
	maxOptionGroups    = 100
	maxOptionText      = 75
	maxOptionDesc      = 75
	maxOptionValue     = 150
	maxViewTitle       = 24
	maxPrivateMetadata = 3000
	maxCallbackID      = 255
	maxExternalID      = 255
	// maxViewBytes is the size limit of a view's JSON (view_too_large).
	maxViewBytes = 250 * 1000
)

// problem formats one validation failure in the form Slack uses in
// response_metadata.messages, for example
// "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]".
func problem(pointer, format string, args ...any) string {
	return fmt.Sprintf("[ERROR] %s [json-pointer:%s]", fmt.Sprintf(format, args...), pointer)
}

// validateBlocks checks a list of blocks against Block Kit's limits and
// returns one message per problem. pointer is the list's JSON pointer, for
// example "/blocks" or "/view/blocks".
func validateBlocks(blocks []any, pointer string, maxBlocks int) []string {
	var problems []string
	if len(blocks) > maxBlocks {
		problems = append(problems, problem(pointer, "no more than %d items allowed", maxBlocks))
	}
	blockIDs := map[string]bool{}
	for i, raw := range blocks {
		at := pointer + "/" + strconv.Itoa(i)
		block, ok := raw.(map[string]any)
		if !ok {
			problems = append(problems, problem(at, "must be an object"))
			continue
		}
		kind, _ := block["type"].(string)
		if kind == "" {
			problems = append(problems, problem(at+"/type", "missing required field: type"))
		}
		if id, ok := block["block_id"].(string); ok {
			if blockIDs[id] {
				problems = append(problems, problem(at+"/block_id", "duplicate block_id %q", id))
			}
			blockIDs[id] = true
			if utf8.RuneCountInString(id) > maxBlockID {
				problems = append(problems, problem(at+"/block_id", "must be less than %d characters", maxBlockID+1))
			}
		}
		problems = append(problems, validateBlock(kind, block, at)...)
		problems = append(problems, validateOptions(block, at)...)
	}
	return problems
}

// validateBlock checks the limits of section and header blocks.
func validateBlock(kind string, block map[string]any, at string) []string {
	var problems []string
	switch kind {
	case "section":
		problems = append(problems, checkTextLength(block["text"], at+"/text/text", maxSectionText)...)
		fields, _ := block["fields"].([]any)
		if len(fields) > maxSectionFields {
			problems = append(problems, problem(at+"/fields", "no more than %d items allowed", maxSectionFields))
		}
		for j, field := range fields {
			problems = append(problems, checkTextLength(field, fmt.Sprintf("%s/fields/%d/text", at, j), maxFieldText)...)
		}
	case "header":
		problems = append(problems, checkTextLength(block["text"], at+"/text/text", maxHeaderText)...)
	}
	return problems
}

// checkTextLength checks the "text" of a text object.
func checkTextLength(textObject any, pointer string, limit int) []string {
	obj, ok := textObject.(map[string]any)
	if !ok {
		return nil
	}
	text, _ := obj["text"].(string)
	if utf8.RuneCountInString(text) > limit {
		return []string{problem(pointer, "must be less than %d characters", limit+1)}
	}
	return nil
}

// validateOptions walks a block's elements and checks every options list,
// option group list and option object in them.
func validateOptions(node any, at string) []string {
	var problems []string
	switch v := node.(type) {
	case map[string]any:
		for _, key := range slices.Sorted(maps.Keys(v)) {
			child := v[key]
			childAt := at + "/" + key
			switch key {
			case "options":
				list, _ := child.([]any)
				if len(list) == 0 {
					problems = append(problems, problem(childAt, "must provide at least 1 items"))
				}
				if len(list) > maxOptions {
					problems = append(problems, problem(childAt, "no more than %d items allowed", maxOptions))
				}
				for j, option := range list {
					problems = append(problems, checkOption(option, childAt+"/"+strconv.Itoa(j))...)
				}
				continue
			case "option_groups":
				list, _ := child.([]any)
				if len(list) > maxOptionGroups {
					problems = append(problems, problem(childAt, "no more than %d items allowed", maxOptionGroups))
				}
			case "initial_option":
				problems = append(problems, checkOption(child, childAt)...)
				continue
			case "initial_options":
				list, _ := child.([]any)
				for j, option := range list {
					problems = append(problems, checkOption(option, childAt+"/"+strconv.Itoa(j))...)
				}
				continue
			}
			problems = append(problems, validateOptions(child, childAt)...)
		}
	case []any:
		for i, child := range v {
			problems = append(problems, validateOptions(child, at+"/"+strconv.Itoa(i))...)
		}
	}
	return problems
}

// checkOption checks one option object: text and description at most 75
// characters, value at most 150.
//
// NOTE: older Slack docs and SDKs give 75 characters for the value. The
// current option object reference gives 150, which is what the fake allows.
func checkOption(option any, at string) []string {
	obj, ok := option.(map[string]any)
	if !ok {
		return []string{problem(at, "must be an option object")}
	}
	var problems []string
	problems = append(problems, checkTextLength(obj["text"], at+"/text/text", maxOptionText)...)
	problems = append(problems, checkTextLength(obj["description"], at+"/description/text", maxOptionDesc)...)
	value, _ := obj["value"].(string)
	if utf8.RuneCountInString(value) > maxOptionValue {
		problems = append(problems, problem(at+"/value", "must be less than %d characters", maxOptionValue+1))
	}
	return problems
}

// validateOptionsResponse checks a block_suggestion response: at most 100
// options or option groups, each option within its limits. Unlike a select
// menu in a view, the response may have no options, when nothing matches.
func validateOptionsResponse(payload map[string]any) []string {
	var problems []string
	if options, ok := payload["options"].([]any); ok && len(options) > 0 {
		problems = append(problems, validateOptions(map[string]any{"options": options}, "")...)
	}
	if groups, ok := payload["option_groups"].([]any); ok && len(groups) > 0 {
		problems = append(problems, validateOptions(map[string]any{"option_groups": groups}, "")...)
	}
	return problems
}
