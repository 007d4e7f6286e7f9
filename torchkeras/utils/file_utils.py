"""`get_file`: download a file once into the Keras cache, check its hash, optionally unpack it.

The cache has Keras's layout (`$KERAS_HOME`, else `~/.keras`, then `cache_subdir`), so a file that
Keras already downloaded is found here and the other way round. A download goes to a temporary file
next to its target and is moved into place only once complete and verified; an archive is unpacked
into a temporary folder that replaces the target folder only when every member was written. Archive
members whose paths would leave the target folder (absolute paths, `..`, links pointing out, device
files) are refused before anything is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

from tqdm import tqdm

from torchkeras.utils.validation import check_choice, invalid

__all__ = ["get_file", "hash_file", "keras_home", "validate_file"]

_CHUNK = 1 << 16


def keras_home() -> str:
    """The Keras cache root: `$KERAS_HOME`, else `~/.keras` (`/tmp/.keras` if home is read-only)."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    home = os.path.expanduser("~")
    if not os.access(home, os.W_OK):
        home = tempfile.gettempdir()
    return os.path.join(home, ".keras")


def get_file(
    fname: str | os.PathLike | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: str | list[str] | None = "auto",
    cache_dir: str | os.PathLike | None = None,
    force_download: bool = False,
) -> str:
    """Downloads a file from a URL unless it is already in the cache, and returns its path.

    The file lands in `cache_dir/cache_subdir/fname` (by default `~/.keras/datasets/fname`). When a
    hash is given, a cached file that does not match is downloaded again and a fresh download that
    does not match is rejected. Tar (plain, gz, bz2, xz) and zip archives can be unpacked.

    Args:
        fname: Local file name; defaults to the last part of `origin`'s path. With `extract`, a name
            without an extension names the extraction folder. Not a path: use `cache_dir`.
        origin: URL of the file (`https://`, `http://` or `file://`).
        untar: Deprecated alias of `extract=True, archive_format="tar"`.
        md5_hash: Deprecated alias of `file_hash` with `hash_algorithm="md5"`.
        file_hash: Expected sha256 or md5 hex digest of the file.
        cache_subdir: Folder under the cache root; an absolute path is used as is.
        hash_algorithm: `"auto"` (sha256 for a 64-character hash, else md5), `"sha256"` or `"md5"`.
        extract: Whether to unpack the archive; the extraction folder's path is then returned.
        archive_format: `"auto"` (tar then zip), `"tar"`, `"zip"`, a list of these, or `None`.
        cache_dir: Cache root; defaults to `$KERAS_HOME`, else `~/.keras`.
        force_download: Download even when the file is already cached.

    Returns:
        The path of the downloaded file, or of the extraction folder when extracting.

    Raises:
        ValueError: on bad arguments, a hash mismatch, or an archive member that leaves its folder.
        OSError: when the download fails; the message names the file and the folder to put it in
            by hand (for machines without network access).

    Example:
    ```python
    path = keras.utils.get_file(origin="https://example.com/data.tar.gz", extract=True)
    ```
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    hash_algorithm = check_choice(hash_algorithm, ("auto", "md5", "sha256"), "hash_algorithm")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if untar:
        extract, archive_format = True, "tar"
    formats = _archive_formats(archive_format) if extract else []

    root = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else keras_home())
    folder = os.path.join(root, os.fspath(cache_subdir))

    name = os.fspath(fname) if fname else ""
    if not name:
        name = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not name:
            raise ValueError(
                f"Can't parse the file name from the origin provided: '{origin}'. "
                "Please specify the `fname` argument."
            )
    elif os.sep in name or (os.altsep and os.altsep in name):
        raise invalid("fname", "must be a file name, not a path (use `cache_dir` for the folder)", name)

    extraction_dir = None
    if extract:
        if fname and "." in name:
            target = os.path.join(folder, name)
            extraction_dir = os.path.join(folder, name[: name.find(".")] + "_extracted")
        else:
            target = os.path.join(folder, name + "_archive")
            extraction_dir = os.path.join(folder, name)
    else:
        target = os.path.join(folder, name)

    def is_cached(path: str) -> bool:
        return not force_download and os.path.exists(path) and _matches(path, file_hash, hash_algorithm)

    cached = is_cached(target)
    if not cached or (extraction_dir is not None and not os.path.isdir(extraction_dir)):
        place = _writable_folder(folder, cache_subdir)
        if place != folder:
            if extraction_dir is not None:
                extraction_dir = os.path.join(place, os.path.basename(extraction_dir))
            if not cached:
                target = os.path.join(place, os.path.basename(target))
                cached = is_cached(target)

    downloaded = False
    if not cached:
        if os.path.exists(target) and not force_download:
            print(
                f"A local file was found at {target}, but its {hash_algorithm} hash does not match "
                f"{file_hash}; downloading it again."
            )
        _download(origin, target, file_hash, hash_algorithm)
        downloaded = True

    if extraction_dir is None:
        return target
    if downloaded or not os.path.isdir(extraction_dir):
        _extract(target, extraction_dir, formats)
    return extraction_dir


def hash_file(fpath: str | os.PathLike, algorithm: str = "sha256", chunk_size: int = _CHUNK) -> str:
    """Returns the sha256 (or md5) hex digest of a file, read in chunks."""
    hasher = hashlib.sha256() if algorithm in ("sha256", "auto") else hashlib.md5()
    with open(fpath, "rb") as file:
        for chunk in iter(lambda: file.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(
    fpath: str | os.PathLike, file_hash: str, algorithm: str = "auto", chunk_size: int = _CHUNK
) -> bool:
    """Whether a file's hash equals `file_hash` (`"auto"`: sha256 for 64 hex digits, else md5)."""
    return hash_file(fpath, _resolve_algorithm(algorithm, file_hash), chunk_size) == str(file_hash).lower()


def _resolve_algorithm(algorithm: str, file_hash: str | None) -> str:
    if algorithm == "auto":
        return "sha256" if file_hash is not None and len(str(file_hash)) == 64 else "md5"
    return algorithm


def _matches(path: str, file_hash: str | None, algorithm: str) -> bool:
    return file_hash is None or validate_file(path, file_hash, algorithm)


def _writable_folder(folder: str, cache_subdir: str | os.PathLike) -> str:
    """`folder`, created if needed; `/tmp/.keras/cache_subdir` where it cannot be written (as Keras)."""
    with contextlib.suppress(OSError):
        os.makedirs(folder, exist_ok=True)
    if os.path.isdir(folder) and os.access(folder, os.W_OK):
        return folder
    fallback = os.path.join(tempfile.gettempdir(), ".keras", os.fspath(cache_subdir))
    os.makedirs(fallback, exist_ok=True)
    return fallback


def _archive_formats(archive_format: str | list[str] | None) -> list[str]:
    if archive_format is None:
        return []
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    formats = [formats] if isinstance(formats, str) else list(formats)
    for item in formats:
        if item not in ("tar", "zip"):
            raise invalid("archive_format", "must be 'auto', 'tar', 'zip', a list of these, or None", item)
    return formats


def _download(origin: str, target: str, file_hash: str | None, algorithm: str) -> None:
    """Fetches `origin` into a temporary file beside `target`, verifies it, then moves it into place."""
    folder = os.path.dirname(target)
    print(f"Downloading data from {origin}")
    descriptor, temp_path = tempfile.mkstemp(
        dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".part"
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            try:
                with urllib.request.urlopen(origin) as response:
                    total = response.headers.get("Content-Length")
                    with tqdm(
                        total=int(total) if total else None, unit="B", unit_scale=True, disable=None
                    ) as bar:
                        for chunk in iter(lambda: response.read(_CHUNK), b""):
                            file.write(chunk)
                            bar.update(len(chunk))
            except (OSError, ValueError, http.client.HTTPException) as error:
                reason = getattr(error, "reason", None) or error
                code = f"{error.code} -- " if isinstance(error, urllib.error.HTTPError) else ""
                raise OSError(
                    f"URL fetch failure on {origin}: {code}{reason}. Could not download "
                    f"'{os.path.basename(target)}'. Without network access, download it elsewhere and "
                    f"place it in the folder {folder} (as {target})."
                ) from error
        if file_hash is not None and not validate_file(temp_path, file_hash, algorithm):
            algorithm = _resolve_algorithm(algorithm, file_hash)
            raise ValueError(
                f"Incomplete or corrupted file detected: the {algorithm} hash of the file downloaded from "
                f"{origin} does not match the expected value {file_hash}."
            )
        os.replace(temp_path, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_path)
        raise


def _extract(archive: str, destination: str, formats: list[str]) -> None:
    """Unpacks `archive` into `destination` (replacing it) after checking every member is safe."""
    for kind in formats:
        if kind == "tar" and tarfile.is_tarfile(archive):
            opener = tarfile.open
        elif kind == "zip" and zipfile.is_zipfile(archive):
            opener = zipfile.ZipFile
        else:
            continue
        parent = os.path.dirname(destination)
        staging = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(destination)}.", suffix=".part")
        try:
            with opener(archive) as handle:
                if isinstance(handle, zipfile.ZipFile):
                    _check_zip(handle, staging)
                    handle.extractall(staging)
                else:
                    _check_tar(handle, staging)
                    _extract_tar(handle, staging)
            if os.path.isdir(destination):
                shutil.rmtree(destination)
            elif os.path.exists(destination):
                os.remove(destination)
            os.replace(staging, destination)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return
    warnings.warn(f"Could not extract archive {archive}: it is not one of {formats}.", stacklevel=3)


def _inside(base: str, path: str) -> bool:
    """Whether `path` (relative to `base`, or absolute) resolves to a place inside `base`."""
    base = os.path.realpath(base)
    resolved = os.path.realpath(os.path.join(base, path))
    try:
        return os.path.commonpath([resolved, base]) == base
    except ValueError:  # different drives on Windows
        return False


def _refuse(member: str, why: str) -> ValueError:
    return ValueError(f"Refusing to extract archive member '{member}': {why}. Nothing was extracted.")


def _check_zip(handle: zipfile.ZipFile, base: str) -> None:
    for info in handle.infolist():
        if os.path.isabs(info.filename) or not _inside(base, info.filename):
            raise _refuse(info.filename, "its path leaves the extraction folder")


def _check_tar(handle: tarfile.TarFile, base: str) -> None:
    for info in handle.getmembers():
        if os.path.isabs(info.name) or not _inside(base, info.name):
            raise _refuse(info.name, "its path leaves the extraction folder")
        if info.issym():
            link_from = os.path.dirname(os.path.join(base, info.name))
            if os.path.isabs(info.linkname) or not _inside(base, os.path.join(link_from, info.linkname)):
                raise _refuse(info.name, f"it links to '{info.linkname}', outside the extraction folder")
        elif info.islnk():
            if os.path.isabs(info.linkname) or not _inside(base, info.linkname):
                raise _refuse(info.name, f"it links to '{info.linkname}', outside the extraction folder")
        elif not (info.isfile() or info.isdir()):
            raise _refuse(info.name, "it is a device, fifo or other special file")


def _extract_tar(handle: tarfile.TarFile, base: str) -> None:
    """Extracts with Python's "data" filter where the running Python has it (3.11.4+, 3.12+)."""
    if hasattr(tarfile, "data_filter"):
        handle.extractall(base, filter="data")
    else:  # an older Python without extraction filters; the members were checked above
        handle.extractall(base)
