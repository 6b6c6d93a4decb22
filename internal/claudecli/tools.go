package claudecli

import (
	"fmt"
	"slices"
	"strings"
)

// MaxTools bounds the entries of a tool grant (the admin API's maxItems).
const MaxTools = 50

// maxRule bounds the text between the parentheses of a permission rule.
const maxRule = 200

// BuiltinTools lists the built-in tool names CLI 2.1.332 offers (measured from
// the init line with --tools default, with and without --restricted, and with
// explicit lists). A name the CLI does not know is silently dropped from --tools,
// so ValidateTool refuses names outside this list: what an admin grants is what
// the process gets.
var BuiltinTools = []string{
	"Bash", "CronCreate", "CronDelete", "CronList", "Edit", "EnterWorktree",
	"ExitWorktree", "Glob", "Grep", "ListAgents", "Monitor", "NotebookEdit", "Read",
	"ReportFindings", "ScheduleWakeup", "SendMessage", "Skill", "Task", "TaskCreate",
	"TaskStop", "ToolSearch", "WebFetch", "WebSearch", "Workflow", "Write",
}

// ValidateTool checks one entry of a tool grant: a built-in tool name ("Read",
// "Bash"), or a name with a permission rule ("Bash(git status:*)",
// "Read(./docs/**)", "WebFetch(domain:example.com)"). The rule is 1..200
// characters without parentheses, commas or control characters (a grant is
// stored comma-joined, and the CLI splits its lists on commas) and without
// leading or trailing spaces.
func ValidateTool(entry string) error {
	name, rule, hasRule := strings.Cut(entry, "(")
	if !slices.Contains(BuiltinTools, name) {
		return fmt.Errorf("%q is not a built-in tool of the Claude CLI (one of %s)", name, strings.Join(BuiltinTools, ", "))
	}
	if !hasRule {
		return nil
	}
	rule, ok := strings.CutSuffix(rule, ")")
	for _, r := range rule {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%q: the rule contains a control character", entry)
		}
	}
	switch {
	case !ok:
		return fmt.Errorf("%q: a permission rule ends with ')', as in Bash(git status:*)", entry)
	case rule == "" || len(rule) > maxRule:
		return fmt.Errorf("%q: the rule between the parentheses must be 1..%d characters", entry, maxRule)
	case strings.TrimSpace(rule) != rule:
		return fmt.Errorf("%q: the rule has leading or trailing spaces", entry)
	case strings.ContainsAny(rule, "(),"):
		return fmt.Errorf("%q: the rule may not contain parentheses or commas", entry)
	}
	return nil
}

// ValidateTools checks a whole grant (at most MaxTools entries); the error names
// the first bad entry by index. It is the one validator of tool grants: the
// admin API calls it too.
func ValidateTools(tools []string) error {
	if len(tools) > MaxTools {
		return fmt.Errorf("claudecli: %d tools granted, at most %d", len(tools), MaxTools)
	}
	for i, t := range tools {
		if err := ValidateTool(t); err != nil {
			return fmt.Errorf("claudecli: tools[%d]: %w", i, err)
		}
	}
	return nil
}

// toolArgs derives the CLI flags of a grant. No grant: --tools "" (no tools in
// the request at all). Otherwise --tools lists the distinct tool names, so the
// request offers exactly those; --allowedTools lists every entry verbatim (a bare
// name pre-approves all uses of the tool, a rule only matching uses); and
// --restricted confines the file tools to the cwd, the tenant workspace
// (measured for Read and Write; a granted Bash is not confined). Uses that match
// no entry are denied without a prompt by --permission-mode dontAsk, which
// buildArgs always passes. Read needs no entry inside the cwd.
func toolArgs(tools []string) []string {
	if len(tools) == 0 {
		return []string{"--tools", ""}
	}
	var names []string
	for _, t := range tools {
		name, _, _ := strings.Cut(t, "(")
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	args := []string{"--tools", strings.Join(names, ","), "--restricted", "--allowedTools"}
	return append(args, tools...)
}
