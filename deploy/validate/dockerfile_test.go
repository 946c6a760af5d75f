package validate

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// dockerInstruction is one Dockerfile instruction with its continuation
// lines joined.
type dockerInstruction struct {
	Command   string // upper case, such as "ENV"
	Arguments string
}

// dockerStage is the instructions from one FROM to the next.
type dockerStage struct {
	From         string
	Instructions []dockerInstruction
}

// parseDockerfile splits a Dockerfile into stages. It handles comments and
// backslash continuations, which is all deploy/Dockerfile uses. Heredocs
// and escape directives are not supported.
func parseDockerfile(text string) []dockerStage {
	var stages []dockerStage
	var pending strings.Builder
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && pending.Len() == 0) {
			continue
		}

		continued := strings.HasSuffix(trimmed, "\\")
		pending.WriteString(strings.TrimSuffix(trimmed, "\\"))
		pending.WriteString(" ")
		if continued {
			continue
		}

		command, arguments, _ := strings.Cut(strings.TrimSpace(pending.String()), " ")
		pending.Reset()
		instruction := dockerInstruction{Command: strings.ToUpper(command), Arguments: strings.TrimSpace(arguments)}
		if instruction.Command == "FROM" {
			stages = append(stages, dockerStage{From: instruction.Arguments})
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].Instructions = append(stages[len(stages)-1].Instructions, instruction)
		}
	}
	return stages
}

// arguments returns the arguments of every instruction of the stage with
// the given command.
func (s dockerStage) arguments(command string) []string {
	var found []string
	for _, instruction := range s.Instructions {
		if instruction.Command == command {
			found = append(found, instruction.Arguments)
		}
	}
	return found
}

// environment returns the stage's ENV settings, in KEY=VALUE form only.
func (s dockerStage) environment() map[string]string {
	settings := make(map[string]string)
	for _, arguments := range s.arguments("ENV") {
		for _, field := range strings.Fields(arguments) {
			if key, value, ok := strings.Cut(field, "="); ok {
				settings[key] = value
			}
		}
	}
	return settings
}

// checkDockerfile checks the settings that nflsync needs in a container,
// beyond the generic rules of dockerfile_rules.py, and returns the
// violations.
func checkDockerfile(text string) []error {
	stages := parseDockerfile(text)
	if len(stages) < 2 {
		return []error{fmt.Errorf("Dockerfile: %d stage(s), want a build stage and a runtime stage", len(stages))}
	}
	build, runtime := stages[0], stages[len(stages)-1]
	var problems []error

	buildCommands := strings.Join(build.arguments("RUN"), "\n")
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "--mount=type=cache,target=/go/pkg/mod"} {
		if !strings.Contains(buildCommands, want) {
			problems = append(problems, fmt.Errorf("Dockerfile: the build stage's RUN lines lack %s", want))
		}
	}

	environment := runtime.environment()
	wantEnvironment := map[string]string{
		"NFL_SYNC_LISTEN_ADDR":  "0.0.0.0:8080",
		"NFL_SYNC_METRICS_ADDR": "0.0.0.0:9090",
		"NFL_SYNC_DATA_DIR":     "/data",
	}
	for key, want := range wantEnvironment {
		if got := environment[key]; got != want {
			problems = append(problems, fmt.Errorf("Dockerfile: ENV %s=%q, want %q", key, got, want))
		}
	}

	exposed := strings.Fields(strings.Join(runtime.arguments("EXPOSE"), " "))
	for _, port := range []string{"8080", "9090", "6330", "6331"} {
		if !slices.Contains(exposed, port) {
			problems = append(problems, fmt.Errorf("Dockerfile: EXPOSE lacks %s (exposed: %v)", port, exposed))
		}
	}

	if volumes := strings.Join(runtime.arguments("VOLUME"), " "); !strings.Contains(volumes, `"/data"`) {
		problems = append(problems, fmt.Errorf("Dockerfile: VOLUME %q lacks /data", volumes))
	}

	entrypoints := runtime.arguments("ENTRYPOINT")
	var entrypoint []string
	if len(entrypoints) > 0 {
		_ = json.Unmarshal([]byte(entrypoints[len(entrypoints)-1]), &entrypoint)
	}
	if !slices.Equal(entrypoint, []string{"/nflsync", "serve"}) {
		problems = append(problems, fmt.Errorf("Dockerfile: ENTRYPOINT %v, want [\"/nflsync\",\"serve\"]", entrypoints))
	}

	if len(runtime.arguments("HEALTHCHECK")) == 0 {
		problems = append(problems, fmt.Errorf("Dockerfile: the runtime stage has no HEALTHCHECK"))
	}
	return problems
}

// dockerfileUser returns the user id of the last USER of the final stage.
func dockerfileUser(text string) string {
	stages := parseDockerfile(text)
	if len(stages) == 0 {
		return ""
	}
	users := stages[len(stages)-1].arguments("USER")
	if len(users) == 0 {
		return ""
	}
	user, _, _ := strings.Cut(users[len(users)-1], ":")
	return user
}

func TestDockerfileRuntimeSettings(t *testing.T) {
	text := string(readFile(t, "deploy/Dockerfile"))

	reportProblems(t, checkDockerfile(text))

	if user := dockerfileUser(text); user != "10001" {
		t.Errorf("Dockerfile: USER %q, want 10001 (deploy/k8s/statefulset.yaml's runAsUser)", user)
	}
}

func TestDockerfileRejectsBrokenFiles(t *testing.T) {
	text := string(readFile(t, "deploy/Dockerfile"))
	cases := map[string]struct{ old, new string }{
		"loopback listener": {"NFL_SYNC_LISTEN_ADDR=0.0.0.0:8080", "NFL_SYNC_LISTEN_ADDR=127.0.0.1:8080"},
		"cgo enabled":       {"CGO_ENABLED=0", "CGO_ENABLED=1"},
		"metrics unexposed": {"EXPOSE 8080 9090", "EXPOSE 8080"},
		"shell entrypoint":  {`ENTRYPOINT ["/nflsync", "serve"]`, "ENTRYPOINT /nflsync serve"},
		"no data volume":    {`VOLUME ["/data"]`, `VOLUME ["/var/data"]`},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(text, edit.old) {
				t.Fatalf("deploy/Dockerfile lacks %q; update this case", edit.old)
			}

			problems := checkDockerfile(strings.ReplaceAll(text, edit.old, edit.new))

			if len(problems) == 0 {
				t.Errorf("checkDockerfile passed a Dockerfile with %q replaced by %q", edit.old, edit.new)
			}
		})
	}
}
