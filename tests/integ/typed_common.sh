# shellcheck shell=sh
# Shared by tests/integ/t_trace_typed.sh and t_pfe_record_sig.sh (sourced
# after tests/lib.sh): tests/progs/typed_app.c built, its plain output in
# $T/ref, and SPEC, the signatures of its functions as PFE_TRACE takes them.
# shellcheck disable=SC2034 # P and SPEC are for the scripts that source this
P=$TOP/tests/progs

SPEC='t_int(int,int)->int,t_long(long, unsigned long)->long,t_ptr(void*)->void *'
SPEC="$SPEC,t_str(const char *)->size_t,t_dbl(double,float)->double"
SPEC="$SPEC,t_char(char,bool,u8,short)->char,t_name(int)->str,fib(int)->int,t_void"
SPEC="$SPEC,t_many(long,double,long,double,long,double,long,double,long,double,long,double,long,double,long,double,long,double)->long"

tcc -O2 -o "$T/typed" "$P/typed_app.c" -fpatchable-function-entry=2
trun "$T/typed" >"$T/ref" 2>&1
