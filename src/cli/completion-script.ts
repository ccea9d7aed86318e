/**
 * @module Pure: bash and zsh completion scripts for skiff, from a list of commands and their flags. Names that
 * change (instances, snapshots) are not written in: the script asks `skiff list` when TAB is pressed, and
 * offers nothing when that fails (no daemon, or a skiff without `list --snapshots`).
 */

export interface CompletionCommand {
  name: string;
  flags: string[];
  subcommands?: string[];
}

export interface CompletionSpec {
  commands: CompletionCommand[];
}

/** Commands whose operands are instance names; `+snapshots` ones also take `INSTANCE.SNAPSHOT`. */
const INSTANCE_COMMANDS = [
  'start',
  'stop',
  'restart',
  'suspend',
  'recover',
  'exec',
  'shell',
  'sh',
  'connect',
  'umount',
  'unmount',
  'snapshot',
  'clone',
  'forward',
  'wait-ready',
];
const SNAPSHOT_COMMANDS = ['info', 'delete', 'restore'];
/** Operands written `INSTANCE:...`. */
const COLON_COMMANDS = ['transfer', 'copy-files', 'alias'];

/** The script for `shell`. */
export function completionScript(shell: 'bash' | 'zsh', spec: CompletionSpec): string {
  return shell === 'bash' ? bashScript(spec) : zshScript(spec);
}

const LIST_NAMES = `command skiff list --format csv 2>/dev/null | tail -n +2 | cut -d, -f1`;
// Multipass's CSV for `list --snapshots`: Instance,Snapshot,Parent,Comment.
const LIST_SNAPSHOTS = `command skiff list --snapshots --format csv 2>/dev/null | tail -n +2 | awk -F, 'NF > 1 && $2 != "" { print $1 "." $2 }'`;

function words(list: readonly string[]): string {
  return list.join(' ');
}

function bashScript(spec: CompletionSpec): string {
  const names = spec.commands.map((c) => c.name);
  const flagCases = spec.commands
    .map((c) => `    ${c.name}) echo ${JSON.stringify(words(c.flags))} ;;`)
    .join('\n');
  const subCases = spec.commands
    .filter((c) => (c.subcommands ?? []).length > 0)
    .map((c) => `    ${c.name}) echo ${JSON.stringify(words(c.subcommands!))} ;;`)
    .join('\n');
  return `# bash completion for skiff. Load it with: source <(skiff completion bash)
_skiff_instances() { ${LIST_NAMES}; }
_skiff_snapshots() { ${LIST_SNAPSHOTS}; }
_skiff_flags() {
  case $1 in
${flagCases}
  esac
}
_skiff_subcommands() {
  case $1 in
${subCases}
  esac
}
_skiff() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd="" i position=0 candidates=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=\${COMP_WORDS[i]}; else position=$((position + 1)); fi ;;
    esac
  done
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "${words(names)} -h --help -v --verbose" -- "$cur"))
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_skiff_flags "$cmd")" -- "$cur"))
    return 0
  fi
  local subs
  subs=$(_skiff_subcommands "$cmd")
  if [[ -n $subs && $position -eq 0 ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    return 0
  fi
  case $cmd in
    help) candidates="${words(names)}" ;;
    ${SNAPSHOT_COMMANDS.join('|')}) candidates="$(_skiff_instances) $(_skiff_snapshots)" ;;
    ${INSTANCE_COMMANDS.join('|')}) candidates=$(_skiff_instances) ;;
    ${COLON_COMMANDS.join('|')})
      compopt -o nospace 2>/dev/null
      COMPREPLY=($(compgen -W "$(_skiff_instances | sed 's/$/:/')" -- "$cur"))
      [[ $cmd != alias ]] && COMPREPLY+=($(compgen -f -- "$cur"))
      return 0 ;;
    mount)
      if [[ $position -eq 0 ]]; then COMPREPLY=($(compgen -d -- "$cur")); return 0; fi
      candidates=$(_skiff_instances) ;;
    completion) candidates="bash zsh" ;;
  esac
  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
  return 0
}
complete -F _skiff skiff
`;
}

function zshScript(spec: CompletionSpec): string {
  const names = spec.commands.map((c) => c.name);
  const flagPairs = spec.commands.map((c) => `  ${c.name} ${JSON.stringify(words(c.flags))}`).join('\n');
  const subPairs = spec.commands
    .filter((c) => (c.subcommands ?? []).length > 0)
    .map((c) => `  ${c.name} ${JSON.stringify(words(c.subcommands!))}`)
    .join('\n');
  return `#compdef skiff
# zsh completion for skiff. Load it with: source <(skiff completion zsh) (after compinit)
typeset -gA _skiff_flags _skiff_subcommands
_skiff_flags=(
${flagPairs}
)
_skiff_subcommands=(
${subPairs}
)
_skiff() {
  local -a commands candidates
  commands=(${words(names)})
  if (( CURRENT == 2 )); then
    compadd -- $commands -h --help -v --verbose
    return
  fi
  local cmd=\${words[2]}
  if [[ \${words[CURRENT]} == -* ]]; then
    compadd -- \${=_skiff_flags[$cmd]}
    return
  fi
  if [[ -n \${_skiff_subcommands[$cmd]} && CURRENT -eq 3 ]]; then
    compadd -- \${=_skiff_subcommands[$cmd]}
    return
  fi
  case $cmd in
    help) compadd -- $commands ;;
    ${SNAPSHOT_COMMANDS.join('|')}) compadd -- \${(f)"$(${LIST_NAMES})"} \${(f)"$(${LIST_SNAPSHOTS})"} ;;
    ${INSTANCE_COMMANDS.join('|')}) compadd -- \${(f)"$(${LIST_NAMES})"} ;;
    ${COLON_COMMANDS.join('|')}) compadd -S '' -- \${(f)"$(${LIST_NAMES} | sed 's/$/:/')"}; [[ $cmd != alias ]] && _files ;;
    mount) if (( CURRENT == 3 )); then _files -/; else compadd -- \${(f)"$(${LIST_NAMES})"}; fi ;;
    completion) compadd -- bash zsh ;;
  esac
}
compdef _skiff skiff
`;
}
