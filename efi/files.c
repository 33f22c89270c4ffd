/* Files in the root of the EFI loader's own volume, through the Simple
 * File System protocol of the device it was loaded from (UEFI 2.10, 9.1
 * EFI_LOADED_IMAGE_PROTOCOL.DeviceHandle, 13.4 and 13.5): partition 1,
 * whose FAT the firmware reads for us. Names are KEEL.CFG's 8.3 names; the
 * firmware's FAT driver compares them without regard to case. */
#include "loader.h"
#include "../lib/format.h"

/* Opened once by efi_files_init(). */
static EFI_FILE_HANDLE root;

static EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID sfs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID file_info_guid = EFI_FILE_INFO_ID;

void efi_files_init(void)
{
	EFI_LOADED_IMAGE *li;
	EFI_FILE_IO_INTERFACE *sfs;
	EFI_STATUS s;

	s = efi_bs->HandleProtocol(efi_image, &loaded_image_guid, (void **)&li);
	if (EFI_ERROR(s))
		efi_fatal("the firmware gives no loaded-image protocol for the EFI loader: %s",
			  efi_strerror(s));
	s = efi_bs->HandleProtocol(li->DeviceHandle, &sfs_guid, (void **)&sfs);
	if (EFI_ERROR(s))
		efi_fatal("the EFI loader's own device has no file system (Simple File System "
			  "protocol): %s; boot it from Keel's FAT partition", efi_strerror(s));
	s = sfs->OpenVolume(sfs, &root);
	if (EFI_ERROR(s))
		efi_fatal("partition 1: cannot open the volume: %s", efi_strerror(s));
}

static EFI_STATUS open_file(const char *name, EFI_FILE_HANDLE *f)
{
	CHAR16 path[CFG_FILE_MAX + 2];
	int n = 0;

	path[n++] = L'\\';
	while (*name && n < CFG_FILE_MAX)
		path[n++] = (CHAR16)(u8)*name++;
	path[n] = 0;
	return root->Open(root, f, path, EFI_FILE_MODE_READ, 0);
}

EFI_STATUS efi_file_size(const char *name, u64 *size)
{
	/* EFI_FILE_INFO ends in the file's name: room for a long one. */
	static union { EFI_FILE_INFO info; u8 bytes[sizeof(EFI_FILE_INFO) + 512]; } fi;
	UINTN len = sizeof(fi);
	EFI_FILE_HANDLE f;
	EFI_STATUS s;

	s = open_file(name, &f);
	if (EFI_ERROR(s))
		return s;
	s = f->GetInfo(f, &file_info_guid, &len, &fi);
	f->Close(f);
	if (EFI_ERROR(s))
		return s;
	if (fi.info.Attribute & EFI_FILE_DIRECTORY)
		return EFI_NOT_FOUND;
	*size = fi.info.FileSize;
	return EFI_SUCCESS;
}

EFI_STATUS efi_file_read(const char *name, void *dst, u64 size)
{
	EFI_FILE_HANDLE f;
	EFI_STATUS s;
	u8 *p = dst;

	s = open_file(name, &f);
	if (EFI_ERROR(s))
		return s;
	while (size) {
		UINTN n = size;

		s = f->Read(f, &n, p);
		if (EFI_ERROR(s))
			break;
		if (n == 0) {
			/* Shorter than GetInfo() said: the volume is damaged. */
			s = EFI_VOLUME_CORRUPTED;
			break;
		}
		p += n;
		size -= n;
	}
	f->Close(f);
	return s;
}

const char *efi_strerror(EFI_STATUS status)
{
	/* Owned by the single caller at a time; the loader runs on one CPU. */
	static char other[40];

	switch (status) {
	case EFI_NOT_FOUND:
		return "file not found";
	case EFI_DEVICE_ERROR:
		return "disk read error";
	case EFI_VOLUME_CORRUPTED:
		return "corrupt volume";
	case EFI_UNSUPPORTED:
		return "not supported by the firmware";
	case EFI_OUT_OF_RESOURCES:
		return "the firmware is out of memory";
	case EFI_NO_MEDIA:
		return "no medium";
	default:
		fmt_snprintf(other, sizeof(other), "firmware error 0x%llx",
			     (unsigned long long)status);
		return other;
	}
}
