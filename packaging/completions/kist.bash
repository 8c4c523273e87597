# bash completion for kist: verbs, each verb's options, the subcommands of
# log, audit and witness, and file names.  Produced by 'kist completion bash'
# from the verb table (src/cli/verbs.c); do not edit by hand.
# Installed as share/bash-completion/completions/kist.

# The options of a verb (or of "log SUB" / "audit SUB" / "witness SUB"), as kist help VERB lists them.
_kist_opts() {
	case $1 in
	keygen) echo "-o --output --passphrase-file --no-passphrase --weak-passphrase -q --quiet -h --help" ;;
	pubkey) echo "--qr -q --quiet --contacts -h --help" ;;
	"contacts add") echo "--contacts -q --quiet -h --help" ;;
	"contacts list") echo "--json --contacts -q --quiet -h --help" ;;
	"contacts remove") echo "--contacts -q --quiet -h --help" ;;
	seal) echo "-r --recipient -R --recipients-file -s --sign --custodian --quorum --people --ledger -o --output --force --split --parity --pad --stdin-name --base --exclude --skip-unreadable --dry-run --passphrase-file -j --threads --level --contacts -q --quiet -h --help" ;;
	info) echo "--json -q --quiet -h --help" ;;
	list) echo "-i --identity --passphrase-file --release --request-store -l --long --json --ledger -q --quiet -h --help" ;;
	extract) echo "-i --identity --passphrase-file --release --request-store -C --directory --force --person --ledger -q --quiet -h --help" ;;
	cat) echo "-i --identity --passphrase-file --release --request-store --ledger -q --quiet -h --help" ;;
	verify) echo "-i --identity --passphrase-file --release --request-store --signer --json --contacts --ledger -q --quiet -h --help" ;;
	grant) echo "-i --identity --passphrase-file -r --recipient -R --recipients-file -o --output --force --ledger --contacts -q --quiet -h --help" ;;
	request) echo "-i --identity --passphrase-file --reason --all --person -o --output --json --force --request-store --contacts -q --quiet -h --help" ;;
	release) echo "-i --identity --passphrase-file -o --output --refuse --note --show --yes --json --force --ledger --contacts -q --quiet -h --help" ;;
	report) echo "-i --identity --passphrase-file --release --request-store -o --output --ledger --bundle --people --pdf --paper --force --contacts -q --quiet -h --help" ;;
	split) echo "-o --output --parity --force -q --quiet -h --help" ;;
	join) echo "-o --output --force -q --quiet -h --help" ;;
	repair) echo "-o --output --force -q --quiet -h --help" ;;
	"parity add") echo "--parity --force -q --quiet -h --help" ;;
	people) echo "--search --json -i --identity --passphrase-file --release --request-store --ledger -q --quiet -h --help" ;;
	query) echo "--csv --json -i --identity --passphrase-file --release --request-store --ledger -q --quiet -h --help" ;;
	manifest) echo "--json --verify --contacts -i --identity --passphrase-file --release --request-store --ledger -q --quiet -h --help" ;;
	"log list") echo "--json --ledger --contacts -h --help" ;;
	"log checkpoint") echo "-s --sign --passphrase-file --ledger -h --help" ;;
	"log export") echo "-o --output -r --recipient --force -q --quiet --ledger --contacts -h --help" ;;
	"audit verify") echo "--checkpoint --json -i --identity -s --sign --passphrase-file --ledger --cosigner --quorum --origin --contacts --state -h --help" ;;
	"audit report") echo "-o --output -i --identity --passphrase-file --ledger --pdf --paper --force --contacts -h --help" ;;
	"audit compare") echo "--json -q --quiet -i --identity --passphrase-file --ledger --contacts -h --help" ;;
	"witness cosign") echo "-i --identity --state -o --output --force --json -q --quiet --passphrase-file --ledger --contacts -h --help" ;;
	help) echo "-h --help" ;;
	esac
}

# The subcommands of a verb that has them.
_kist_subs() {
	case $1 in
	contacts) echo "add list remove" ;;
	parity) echo "add" ;;
	log) echo "list checkpoint export" ;;
	audit) echo "verify report compare" ;;
	witness) echo "cosign" ;;
	esac
}

_kist() {
	local cur prev verb first i subs
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	local verbs="keygen pubkey contacts seal info list extract cat verify grant request release report split join repair parity people query manifest log audit witness help"

	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$verbs --help --version" -- "$cur"))
		return 0
	fi
	verb=${COMP_WORDS[1]}
	first=2 # the first word after the verb (and its subcommand)
	subs=$(_kist_subs "$verb")
	if [ "$verb" = help ]; then
		[ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
		return 0
	fi
	if [ -n "$subs" ]; then
		if [ "$COMP_CWORD" -eq 2 ]; then
			if [[ $cur == -* ]]; then
				COMPREPLY=($(compgen -W "-h --help" -- "$cur"))
			else
				COMPREPLY=($(compgen -W "$subs" -- "$cur"))
			fi
			return 0
		fi
		case " $subs " in
		*" ${COMP_WORDS[2]} "*) verb="$verb ${COMP_WORDS[2]}" ;;
		*) return 0 ;;
		esac
		first=3
	fi

	# The value of an option that takes one.
	case $prev in
	--base | --request-store | -C | --directory | --state)
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0
		;;
	-o | --output | --passphrase-file | --contacts | -R | --recipients-file | -s | --sign | --people | --ledger | -i | --identity | --release | --signer | --bundle | --checkpoint)
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	-r | --recipient | --custodian | --quorum | --split | --parity | --pad | --stdin-name | --exclude | -j | --threads | --level | --person | --reason | --note | --paper | --search | --cosigner | --origin)
		return 0 # a key, a name, a number or a text: nothing to offer
		;;
	esac

	# Options, unless "--" came before.
	for ((i = first; i < COMP_CWORD; i++)); do
		[ "${COMP_WORDS[i]}" = "--" ] && break
	done
	if [ "$i" -eq "$COMP_CWORD" ] && [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_kist_opts "$verb")" -- "$cur"))
		return 0
	fi
	COMPREPLY=($(compgen -f -- "$cur"))
	return 0
}

complete -o filenames -F _kist kist
