# bash completion for kist: verbs, each verb's options, and file names.
# Installed as share/bash-completion/completions/kist.

_kist_opts() {
	case $1 in
	keygen) echo "-o --output --passphrase-file --no-passphrase --force -q --quiet -h --help" ;;
	pubkey) echo "--qr -q --quiet -h --help" ;;
	seal) echo "-r --recipient -R --recipients-file -s --sign -o --output --force --stdin-name --passphrase-file -j --threads -q --quiet -h --help" ;;
	info) echo "--json -q --quiet -h --help" ;;
	list) echo "-i --identity --passphrase-file -l --long --json -q --quiet -h --help" ;;
	extract) echo "-i --identity --passphrase-file -C --directory --force -q --quiet -h --help" ;;
	cat) echo "-i --identity --passphrase-file -q --quiet -h --help" ;;
	verify) echo "-i --identity --passphrase-file --signer --json -q --quiet -h --help" ;;
	help) echo "-h --help" ;;
	esac
}

_kist() {
	local cur prev verb i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	local verbs="keygen pubkey seal info list extract cat verify help"

	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$verbs --help --version" -- "$cur"))
		return 0
	fi
	verb=${COMP_WORDS[1]}

	case $verb in
	help)
		[ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
		return 0
		;;
	esac

	# The value of an option that takes one.
	case $prev in
	-C | --directory)
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0
		;;
	-o | --output | -R | --recipients-file | -s | --sign | -i | --identity | --passphrase-file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	-r | --recipient | --signer | --stdin-name | -j | --threads)
		return 0 # a key, a name or a number: nothing to offer
		;;
	esac

	# Options, unless "--" came before.
	for ((i = 2; i < COMP_CWORD; i++)); do
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
