# fish completion for kist: verbs, each verb's options, and file names.
# Installed as share/fish/vendor_completions.d/kist.fish.

set -l verbs keygen pubkey seal info list extract cat verify help

complete -c kist -f
complete -c kist -n "not __fish_seen_subcommand_from $verbs" -a keygen -d 'create an identity'
complete -c kist -n "not __fish_seen_subcommand_from $verbs" -a pubkey -d 'print the public key of an identity'
complete -c kist -n "not __fish_seen_subcommand_from $verbs" -a seal -d 'seal files and folders into a vault'
complete -c kist -n "not __fish_seen_subcommand_from $verbs" -a info -d 'show what anyone can see of a vault'
complete -c kist -n "not __fish_seen_subcommand_from $verbs" -a list -d 'list the entries of a vault'
complete -c kist -n "not __fish_seen_subcommand_from $verbs" -a extract -d 'extract entries'
complete -c kist -n "not __fish_seen_subcommand_from $verbs" -a cat -d 'write one entry to standard output'
complete -c kist -n "not __fish_seen_subcommand_from $verbs" -a verify -d 'check every byte and the signature'
complete -c kist -n "not __fish_seen_subcommand_from $verbs" -a help -d 'show help'
complete -c kist -n "not __fish_seen_subcommand_from $verbs" -l version -d 'show the version'
complete -c kist -n "__fish_seen_subcommand_from help" -a "$verbs"

# Options of every verb but help.
complete -c kist -n "__fish_seen_subcommand_from keygen pubkey seal info list extract cat verify" -s q -l quiet -d 'no progress or notes'
complete -c kist -n "__fish_seen_subcommand_from $verbs" -s h -l help -d 'show the help of the verb'
# Files as arguments, except for help.
complete -c kist -n "__fish_seen_subcommand_from pubkey seal info list extract cat verify" -F

complete -c kist -n "__fish_seen_subcommand_from keygen seal" -s o -l output -r -F -d 'file to create'
complete -c kist -n "__fish_seen_subcommand_from keygen seal list extract cat verify" -l passphrase-file -r -F -d 'read the passphrase from a file'
complete -c kist -n "__fish_seen_subcommand_from keygen" -l no-passphrase -d 'store the keys unprotected'
complete -c kist -n "__fish_seen_subcommand_from keygen seal extract" -l force -d 'replace existing files'
complete -c kist -n "__fish_seen_subcommand_from pubkey" -l qr -d 'draw the key as a QR code'
complete -c kist -n "__fish_seen_subcommand_from seal" -s r -l recipient -x -d 'recipient public key'
complete -c kist -n "__fish_seen_subcommand_from seal" -s R -l recipients-file -r -F -d 'file of recipient keys'
complete -c kist -n "__fish_seen_subcommand_from seal" -s s -l sign -r -F -d 'sign with this identity'
complete -c kist -n "__fish_seen_subcommand_from seal" -l stdin-name -x -d 'name stored for -'
complete -c kist -n "__fish_seen_subcommand_from seal" -s j -l threads -x -d 'threads'
complete -c kist -n "__fish_seen_subcommand_from list extract cat verify" -s i -l identity -r -F -d 'identity file'
complete -c kist -n "__fish_seen_subcommand_from info list verify" -l json -d 'JSON on stdout'
complete -c kist -n "__fish_seen_subcommand_from list" -s l -l long -d 'long listing'
complete -c kist -n "__fish_seen_subcommand_from extract" -s C -l directory -x -a '(__fish_complete_directories)' -d 'target directory'
complete -c kist -n "__fish_seen_subcommand_from verify" -l signer -x -d 'required signer key'
