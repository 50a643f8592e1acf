/*
 * vmm: types and functions shared by the files of the virtual machine
 * monitor (x86-64 guests on KVM, as a sandboxed component).
 * SPDX-License-Identifier: MIT
 *
 * Threads: the entrypoint thread sets the machine up in construct(), starts
 * one thread per vCPU and afterwards waits for the stop signal and serves
 * the virtio-blk disks (queue notifications, Block completions). vCPU
 * threads emulate devices under vm->lock, which also serializes the LOG
 * session (libcairn's RPC client is not thread-safe); the entrypoint takes
 * it for the disks' state as well. Lock order: there is only vm->lock.
 */
#ifndef VMM_H
#define VMM_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include <cairn/env.h>
#include <cairn/session/log.h>

#define VMM_MAX_VCPUS	32

/*
 * What the vmm needs of its RAM quota besides guest RAM: its image, heap,
 * vCPU threads and the kernel's per-VM and per-vCPU state, which is charged
 * to the vmm's memory cgroup as well.
 */
#define VMM_RESERVE		(4ull << 20)
#define VMM_RESERVE_PER_VCPU	(256ull << 10)
#define VMM_MIN_RAM		(2ull << 20)

/* Guest-physical layout (memory.c has the whole map). */
#define GDT_GPA		0x1000ull	/* boot GDT, see boot_gdt */
#define PML4_GPA	0x2000ull	/* PML4, PDPT, 4 PDs: 4 GiB identity */
#define ZERO_PAGE_GPA	0x8000ull	/* Linux boot_params */
#define CMDLINE_GPA	0x20000ull
#define CMDLINE_MAX	4096u
#define EBDA_GPA	0x9fc00ull
#define ACPI_GPA	0xe0000ull	/* RSDP, then the tables */
#define ACPI_END	0x100000ull
#define KERNEL_GPA	0x100000ull
#define LOW_RAM_END	0xc0000000ull	/* RAM above goes to 4 GiB and up */
#define PCI_MMIO_GPA	0xc0000000ull
#define IOAPIC_GPA	0xfec00000ull
#define LAPIC_GPA	0xfee00000ull
#define TSS_GPA		0xfeffd000ull	/* KVM_SET_TSS_ADDR (3 pages) */
#define IDMAP_GPA	0xfeffc000ull	/* KVM_SET_IDENTITY_MAP_ADDR */
#define ROM_MAX		(16ull << 20)	/* flat images end at 4 GiB */
#define HIGH_RAM_GPA	0x100000000ull

/* Selectors of the boot GDT (Linux's 32-bit protocol wants 0x10/0x18). */
#define SEL_CODE32	0x10
#define SEL_DATA	0x18
#define SEL_CODE64	0x20

/* Ports. */
#define PORT_DEBUG_EXIT	0xf4	/* test guests: write the exit value */
#define PORT_COM1	0x3f8
#define PORT_PM_BASE	0x600	/* PM1a_EVT (4), PM1a_CNT (2), PM_TMR (4) */
#define PORT_PM1_EVT	0x600
#define PORT_PM1_CNT	0x604
#define PORT_PM_TMR	0x608
#define PORT_RESET	0xcf9
#define PORT_FW_CFG	0x510	/* 12 ports, only with a BIOS (fw_cfg.h) */
#define PORT_DEBUGCON	0x402	/* only with a BIOS (bios.c) */
#define IRQ_COM1	4
#define IRQ_SCI		9

/* The process's exit values (app/vmm/README). */
enum vmm_exit {
	VMM_EXIT_OFF = 0,	/* power-off or reset */
	VMM_EXIT_SETUP = 1,	/* config or set-up failed */
	VMM_EXIT_TRIPLE_FAULT = 3,
	VMM_EXIT_KVM = 4,	/* KVM could not run the guest */
};

#define VMM_MAX_DISKS	8

/* A <disk> node (disk_config.c). */
struct disk_config {
	enum { DISK_BLOCK, DISK_VDI } type;
	char label[64];		/* Block or File_system session label */
	char file[128];		/* vdi: path in the File_system session */
	char serial[21];	/* VIRTIO_BLK_T_GET_ID answer */
	bool writeable;
	uint64_t tx_buf_size;	/* Block session buffer */
};

struct vmm_config {
	char kernel[64];	/* ROM module: bzImage, ELF or flat image */
	char initrd[64];	/* ROM module or "" */
	char bios[64];		/* ROM module or "": boot through a BIOS */
	char cmdline[CMDLINE_MAX];
	unsigned vcpus;
	uint64_t ram;		/* 0: all the quota allows */
	char ram_attr[32];	/* the attribute as written, for messages */
	bool verbose;
	struct disk_config disks[VMM_MAX_DISKS];
	unsigned ndisks;
};

enum boot_mode {
	BOOT_RESET,		/* real mode at the reset vector (flat image) */
	BOOT_PM32,		/* flat 32-bit protected mode, paging off */
	BOOT_LM64,		/* long mode, 4 GiB identity-mapped */
};

struct boot {
	enum boot_mode mode;
	uint64_t entry;
	uint64_t rsi;		/* zero page for Linux */
	uint64_t gdt;		/* GDT base, 0: the boot GDT at GDT_GPA */
	uint16_t cs;		/* code selector, 0: the mode's in the boot GDT */
	const char *kind;	/* "bzImage", "ELF64", ... for the log */
};

struct serial {
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	bool thre_pending;	/* THR-empty interrupt not yet seen in IIR */
	bool irq_level;
	char line[LOG_LINE_MAX];
	unsigned len;
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
};

struct vm {
	struct cairn_env *env;
	struct vmm_config cfg;
	int vm_session;		/* VM session capability */
	uint64_t vm_session_id;
	int fd;			/* the VM */
	size_t run_size;	/* vCPU mapping size */
	struct kvm_cpuid2 *cpuid;

	struct cairn_ds ram_ds;	/* guest RAM, from our own PD */
	uint64_t ram_size;
	struct cairn_ds rom_ds;	/* flat image, mapped read-only for the guest */
	uint64_t rom_gpa, rom_size;
	struct boot boot;
	struct bios *bios;	/* bios.c, or NULL */

	pthread_mutex_t lock;	/* devices and LOG, see above */
	struct serial serial;
	uint32_t pm1_sts, pm1_en;
	uint16_t pm1_cnt;
	uint8_t cmos_index;
	uint32_t pci_addr;	/* CONFIG_ADDRESS (0xcf8) */
	unsigned unknown_logged;	/* distinct misdeeds logged */
	unsigned unknown_repeats;	/* of the last one, not yet logged */
	char unknown_last[160];

	unsigned nvcpus;
	struct vcpu vcpus[VMM_MAX_VCPUS];

	struct vdisk *disks[VMM_MAX_DISKS];	/* virtio_blk.c */
	unsigned ndisks;

	atomic_bool stopping;
	int exit_value;
	char reason[160];
	struct cairn_sig *stop_sig;
	int stop_cap;
};

/* config.c */
int vmm_config_report(struct cairn_env *env, const struct xml_error *err);
int vmm_config_read(struct cairn_env *env, struct vmm_config *cfg)
    __attribute__((warn_unused_result));

/* kvm.c */
int kvm_vm_create(struct vm *vm) __attribute__((warn_unused_result));
int kvm_vm_devices(struct vm *vm) __attribute__((warn_unused_result));
int kvm_memory_region(struct vm *vm, unsigned slot, uint64_t gpa,
    uint64_t size, void *hva, bool readonly)
    __attribute__((warn_unused_result));
int kvm_irq_line(struct vm *vm, unsigned irq, bool level);

/* memory.c */
int memory_setup(struct vm *vm, uint64_t ram) __attribute__((warn_unused_result));
void *gpa_ptr(struct vm *vm, uint64_t gpa, uint64_t len);
unsigned memory_e820(const struct vm *vm, void *table, unsigned max);
void memory_boot_tables(struct vm *vm);

/* boot_linux.c */
bool boot_is_bzimage(const void *img, size_t size);
int boot_linux(struct vm *vm, const void *img, size_t size,
    const void *initrd, size_t initrd_size)
    __attribute__((warn_unused_result));

/* boot_image.c */
int boot_image(struct vm *vm, const void *img, size_t size)
    __attribute__((warn_unused_result));

/* bios.c: bios_open() before guest RAM is sized (the BIOS's ROM copy
 * leaves it), bios_boot() instead of the other boot paths. */
int bios_open(struct vm *vm, uint64_t *reserve)
    __attribute__((warn_unused_result));
int bios_boot(struct vm *vm) __attribute__((warn_unused_result));
void bios_io(struct vm *vm, uint16_t port, unsigned size, bool write,
    uint8_t *data);

/* cmos.c: CMOS RAM byte `index` other than the clock's. */
uint8_t cmos_ram(const struct vm *vm, uint8_t index);

/* acpi.c */
int acpi_setup(struct vm *vm) __attribute__((warn_unused_result));

/* serial.c */
void serial_io(struct vm *vm, uint16_t port, bool write, uint8_t *data);
void serial_flush(struct vm *vm);

/* io.c */
void io_port(struct vm *vm, struct vcpu *v, uint16_t port, unsigned size,
    bool write, uint8_t *data);
void io_mmio(struct vm *vm, struct vcpu *v, uint64_t gpa, unsigned size,
    bool write, uint8_t *data);
void io_unknown(struct vm *vm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void io_unknown_flush(struct vm *vm);

/* pci.c */
void pci_config_io(struct vm *vm, uint16_t port, unsigned size, bool write,
    uint8_t *data);

/* disk_config.c */
int disk_config_read(struct cairn_env *env, const struct xml_node *n,
    struct disk_config *d) __attribute__((warn_unused_result));

/* virtio_blk.c: disks_open() before guest RAM is sized (the sessions'
 * quota leaves ours), disks_start() once the VM and its RAM exist. */
int disks_open(struct vm *vm) __attribute__((warn_unused_result));
uint64_t disks_reserve(const struct vm *vm);
int disks_start(struct vm *vm) __attribute__((warn_unused_result));
bool disks_pci_config(struct vm *vm, unsigned slot, unsigned off,
    unsigned size, bool write, uint8_t *data);
bool disks_mmio(struct vm *vm, uint64_t gpa, unsigned size, bool write,
    uint8_t *data);

/* vcpu.c */
int vcpu_create(struct vm *vm, unsigned id) __attribute__((warn_unused_result));
int vcpu_start(struct vm *vm, struct vcpu *v) __attribute__((warn_unused_result));
void vcpu_kick_all(struct vm *vm);

/* main.c */
void vm_stop(struct vm *vm, int exit_value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Log a line; callers on vCPU threads hold vm->lock. */
void vm_log(struct vm *vm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
