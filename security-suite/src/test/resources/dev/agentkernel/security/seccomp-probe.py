# Calls every system call agentkernel's seccomp profile refuses, with arguments that are harmless should the call
# get through (bad descriptors, null pointers, queries, no-ops), and prints "name errno" (0: it ran). x86_64 numbers.
# Then a control: threads and a subprocess still work under the profile.
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def sc(nr, *a):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(x) for x in a])
    return 0 if r >= 0 else ctypes.get_errno()
p = os.getpid()
calls = [
 ("io_uring_setup",425,(0,0)),("io_uring_enter",426,(-1,0,0,0,0,0)),("io_uring_register",427,(-1,0,0,0)),
 ("userfaultfd",323,(1,)),("bpf",321,(-1,0,0)),("perf_event_open",298,(0,0,-1,-1,0)),
 ("add_key",248,(0,0,0,0,0)),("request_key",249,(0,0,0,0)),("keyctl",250,(0,-3,0)),
 ("init_module",175,(0,0,0)),("finit_module",313,(-1,0,0)),("delete_module",176,(0,0)),
 ("kexec_load",246,(0,0,0,0)),("kexec_file_load",320,(-1,-1,0,0,0)),("reboot",169,(0,0,0,0)),
 ("swapon",167,(0,0)),("swapoff",168,(0,)),("acct",163,(0,)),("quotactl",179,(0,0,0,0)),("quotactl_fd",443,(-1,0,0,0)),
 ("syslog",103,(10,0,0)),("lookup_dcookie",212,(0,0,0)),("uselib",134,(0,)),("ustat",136,(0,0)),("sysfs",139,(3,)),
 ("vhangup",153,()),("iopl",172,(0,)),("ioperm",173,(0,0,0)),("modify_ldt",154,(0,0,0)),
 ("settimeofday",164,(0,0)),("clock_settime",227,(12345,0)),("clock_adjtime",305,(12345,0)),("adjtimex",159,(0,)),
 ("mount",165,(0,0,0,0,0)),("umount2",166,(0,0)),("pivot_root",155,(0,0)),("open_tree",428,(-1,0,0)),
 ("move_mount",429,(-1,0,-1,0,0)),("fsopen",430,(0,0)),("fsconfig",431,(-1,0,0,0,0)),("fsmount",432,(-1,0,0)),
 ("fspick",433,(-1,0,0)),("mount_setattr",442,(-1,0,0,0,0)),("unshare",272,(0,)),("setns",308,(-1,0)),
 ("clone3",435,(0,0)),("name_to_handle_at",303,(-100,0,0,0,0)),("open_by_handle_at",304,(-1,0,0)),
 ("kcmp",312,(p,p,0,0,0)),("pidfd_getfd",438,(-1,-1,0)),("mbind",237,(0,0,0,0,0,0)),("set_mempolicy",238,(0,0,0)),
 ("set_mempolicy_home_node",450,(0,0,0,0)),("migrate_pages",256,(0,0,0,0)),("move_pages",279,(0,0,0,0,0,0)),
 ("fanotify_init",300,(0,0)),("memfd_secret",447,(0,)),
 ("clone_with_namespace_flags",56,(0x10000200,0,0,0,0)),("personality_no_aslr",135,(0x0040000,)),
]
for name, nr, args in calls:
    print(name, sc(nr, *args))
import threading, subprocess
t = threading.Thread(target=lambda: None); t.start(); t.join()
print("CONTROL", subprocess.run(["sh", "-c", "echo ok"], capture_output=True, text=True).stdout.strip())
