# shellcheck shell=sh
# Shared by tests/integ/t_hooks*.sh (sourced after tests/lib.sh): the exact
# output of tests/progs/hooks_app.c with and without libpfe.
# shellcheck disable=SC2034 # P is for the scripts that source this
P=$TOP/tests/progs

# hooks_want_plain: the program run without libpfe.
hooks_want_plain() {
	cat <<'END'
libpfe: absent
sum8 site: nop; nop
plain: sum8 87654321
plain: dsum8 1665.500
plain: mkbig 7 14 21 28 3.750
plain: outer 33
call_lr 3
END
}

# hooks_want: with libpfe preloaded.
hooks_want() {
	cat <<'END'
libpfe: present
sum8 site: mov x9, x30; nop
plain: sum8 87654321
plain: dsum8 1665.500
plain: mkbig 7 14 21 28 3.750
plain: outer 33
call_lr 3
attach sum8,dsum8,mkbig,inner*: 4 sites
sum8 site: mov x9, x30; bl
hooked: sum8 87654321
hooked: dsum8 1665.500
hooked: mkbig 7 14 21 28 3.750
hooked: outer 33
hook calls 5
detach: 0
sum8 site: mov x9, x30; nop
detached: sum8 87654321
detached: dsum8 1665.500
detached: mkbig 7 14 21 28 3.750
detached: outer 33
hook calls 5
attach twice: 1 sites
twice(21) 242
detach: 0
twice(21) 42
attach original: 1 sites
original(5) 5000
detach: 0
original(5) 6
attach lr_target: 1 sites
call_lr 2
detach: 0
call_lr 3
lr_target site: mov x9, x30; nop
attach no_such_function: No such file or directory
attach bad[: Invalid argument
END
}

# hooks_check NAME PROG: run PROG without and with libpfe and compare.
hooks_check() {
	_n=$1
	shift
	hooks_want_plain >"$T/$_n.plain.want"
	hooks_want >"$T/$_n.want"
	trun "$@" >"$T/$_n.plain" 2>&1
	expect_status "$_n: runs without libpfe" 0 $?
	expect_file "$_n: output without libpfe" "$T/$_n.plain.want" "$T/$_n.plain"
	prun "$@" >"$T/$_n.out" 2>"$T/$_n.err"
	expect_status "$_n: runs with libpfe" 0 $?
	expect_file "$_n: output with libpfe" "$T/$_n.want" "$T/$_n.out"
	expect_eq "$_n: nothing on stderr" "" "$(cat "$T/$_n.err")"
}
