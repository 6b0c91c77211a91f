<#
    The simulated computer: its folders, environment and programs.

    New-SimulatedWindows makes a temp folder standing in for C:\ (ProgramData, Program Files,
    Windows\System32, Users), installs the fake programs (wsl.exe, netsh.exe, whoami.exe,
    icacls.exe, taskkill.exe, podman.exe: fakewin.py beside this file), writes a default scene and
    sets the environment the scripts read; Remove-SimulatedWindows undoes it. Connect-SimulatedWindows
    finds it again from another process (Start-SimEntry.ps1).

    Part of the simulated Windows: SimulatedWindows.ps1 (beside this file) loads it.
#>

$global:WslppSim = $null
$global:WslppSimOnWindows = [System.IO.Path]::DirectorySeparatorChar -eq '\'

function global:New-SimulatedWindows {
    <# Creates the folder tree, the fakes and a default scene; sets the environment the scripts read. #>
    param(
        [string] $WslIp = '172.28.241.140',
        [string] $Distro = 'podman-machine-default',
        [string] $ComputerName = 'WEB-01',
        [switch] $NoPodman,
        # Where podman.exe is (containers/podman contrib/win-installer): RedHat = %ProgramFiles%\RedHat\Podman
        # (the installer up to 5.6.x, burn.wxs; the setup.exe later); Machine = %ProgramFiles%\Podman (the
        # MSI from 5.7.0 in machine scope, podman-main.wxs); User = %LOCALAPPDATA%\Programs\Podman (that
        # MSI's default user scope), with USERPROFILE and LOCALAPPDATA set for CORP\svc-podman.
        [ValidateSet('RedHat', 'Machine', 'User')] [string] $PodmanScope = 'RedHat'
    )
    $root = Join-Path ([System.IO.Path]::GetTempPath()) ("simwin-" + [guid]::NewGuid().ToString('n'))
    $sim = [pscustomobject]@{
        Root         = $root
        State        = Join-Path $root 'state'
        ProgramData  = Join-Path $root 'ProgramData'
        ProgramFiles = Join-Path $root 'Program Files'
        SystemRoot   = Join-Path $root 'Windows'
        SavedEnv     = @{}
        Background   = [System.Collections.ArrayList]::new()
        Tasks        = @{}
        Stopping     = @{}
    }
    foreach ($dir in @($sim.State, $sim.ProgramData, $sim.ProgramFiles, (Join-Path $sim.SystemRoot 'System32'))) {
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
    }
    $global:WslppSim = $sim
    Write-SimState 'acl.json' @{}
    Set-SimAcl -Path $root -Owner $global:SimTrustedInstaller -Dacl $global:SimVolumeRootDacl -Protected
    Set-SimAcl -Path $sim.ProgramData -Owner 'SY' -Dacl $global:SimProgramDataDacl -Protected
    Set-SimAcl -Path $sim.ProgramFiles -Owner $global:SimTrustedInstaller -Dacl $global:SimProgramFilesDacl -Protected
    $fake = Join-Path $PSScriptRoot 'fakewin.py'
    # The WSL package's wsl.exe, and the inbox one that enabling the WSL feature puts in System32
    # (Microsoft Docs, "Install WSL on Windows Server"; only the package's works before logon).
    Install-SimProgram -Program wsl -Path (Join-Path (Join-Path $sim.ProgramFiles 'WSL') 'wsl.exe') -Fake $fake
    foreach ($program in 'wsl', 'netsh', 'whoami', 'icacls', 'taskkill') {
        Install-SimProgram -Program $program -Path (Join-Path (Join-Path $sim.SystemRoot 'System32') "$program.exe") -Fake $fake
    }
    $userProfile = Join-Path (Join-Path $root 'Users') 'svc-podman'
    $localAppData = $null
    if ($PodmanScope -eq 'User') { $localAppData = Join-Path (Join-Path $userProfile 'AppData') 'Local' }
    if (-not $NoPodman) {
        $podmanFolder = switch ($PodmanScope) {
            'RedHat' { Join-Path (Join-Path $sim.ProgramFiles 'RedHat') 'Podman' }
            'Machine' { Join-Path $sim.ProgramFiles 'Podman' }
            'User' { Join-Path (Join-Path $localAppData 'Programs') 'Podman' }
        }
        Install-SimProgram -Program podman -Path (Join-Path $podmanFolder 'podman.exe') -Fake $fake
    }
    Write-SimState 'wsl.json' @{ distros = @{ $Distro = @{ ip = $WslIp; no_ip_for = 0; generation = 0 } } }
    Write-SimState 'registry.json' (New-SimRegistry -Sim $sim)
    Write-SimState 'podman.json' @{ machines = @{ $Distro = 'stopped' } }
    # iphlpsvc shares a svchost (PID 2872) with other services, as on Windows (Microsoft Docs, Win32_Service).
    Write-SimState 'services.json' @{ iphlpsvc = @{ Status = 'Running'; StartType = 'Automatic'; ProcessId = 2872 }; Winmgmt = @{ Status = 'Running'; StartType = 'Automatic'; ProcessId = 2872 } }
    Write-SimState 'firewall.json' @{}
    Write-SimState 'tasks.json' @{}
    Write-SimState 'eventsources.json' @{}
    # Who is logged on (Set-SimLogonSession): the installing admin (USERDOMAIN\USERNAME below) at the
    # console, where an admin who runs the installer by hand sits.
    Set-SimLogonSession @{ 'CORP\svc-podman' = 2 }
    $environment = @{
        ProgramData = $sim.ProgramData; ProgramFiles = $sim.ProgramFiles; SystemRoot = $sim.SystemRoot; SystemDrive = $root
        COMPUTERNAME = $ComputerName; USERDOMAIN = 'CORP'; USERNAME = 'svc-podman'; WSL_UTF8 = $null
        WSLPP_SIM_STATE = $sim.State
    }
    if ($localAppData) { $environment.USERPROFILE = $userProfile; $environment.LOCALAPPDATA = $localAppData }
    foreach ($name in $environment.Keys) {
        $sim.SavedEnv[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $environment[$name])
    }
    return $sim
}

function global:Connect-SimulatedWindows {
    <#
        In another process (an entry script run with -File, see sim/Start-SimEntry.ps1): the simulated
        Windows that New-SimulatedWindows made, found through the environment it set.
    #>
    if (-not $env:WSLPP_SIM_STATE) { throw 'No simulated Windows: WSLPP_SIM_STATE is not set.' }
    $global:WslppSim = [pscustomobject]@{
        Root = Split-Path -Parent $env:WSLPP_SIM_STATE; State = $env:WSLPP_SIM_STATE
        ProgramData = $env:ProgramData; ProgramFiles = $env:ProgramFiles; SystemRoot = $env:SystemRoot
        SavedEnv = @{}; Background = [System.Collections.ArrayList]::new(); Tasks = @{}; Stopping = @{}
    }
}

function global:Remove-SimulatedWindows {
    if ($null -eq $global:WslppSim) { return }
    foreach ($handle in @($global:WslppSim.Background)) {
        $null = Stop-SimScript -Handle $handle
        $handle.Shell.Dispose()
    }
    foreach ($name in $global:WslppSim.SavedEnv.Keys) {
        [Environment]::SetEnvironmentVariable($name, $global:WslppSim.SavedEnv[$name])
    }
    Remove-Item -LiteralPath $global:WslppSim.Root -Recurse -Force -ErrorAction SilentlyContinue
    $global:WslppSim = $null
}

function global:Install-SimProgram {
    <# POSIX: a shell wrapper around fakewin.py. Windows: a copy of fakewin.exe (WSLPP_FAKE_EXE, built by the workflow). #>
    param([string] $Program, [string] $Path, [string] $Fake)
    New-Item -ItemType Directory -Path (Split-Path $Path) -Force | Out-Null
    if ($global:WslppSimOnWindows) {
        if (-not $env:WSLPP_FAKE_EXE) { throw 'On Windows, set WSLPP_FAKE_EXE to fakewin.exe (PyInstaller --onefile tests/powershell/sim/fakewin.py).' }
        Copy-Item -LiteralPath $env:WSLPP_FAKE_EXE -Destination $Path
        return
    }
    $state = $global:WslppSim.State
    $python = Get-SimPython
    # WSLPP_SIM_SELF: the path the program was started as (what sys.argv[0] is for a real .exe).
    Set-Content -LiteralPath $Path -Value "#!/bin/sh`nWSLPP_SIM_SELF=`"`$0`" exec '$python' '$Fake' '$state' $Program `"`$@`"`n" -NoNewline
    & chmod +x $Path
}

function global:Get-SimPython {
    <#
        The Python that runs the fakes and the generator: WSLPP_PYTHON when set (the test command
        sets it to its own), else the project's venv from .ci/install-tools, else python3.
    #>
    if ($env:WSLPP_PYTHON) { return $env:WSLPP_PYTHON }
    $repo = Split-Path (Split-Path (Split-Path $PSScriptRoot))
    foreach ($candidate in (Join-Path $repo '.venv/bin/python'), (Join-Path $repo '.venv/Scripts/python.exe')) {
        if (Test-Path -LiteralPath $candidate) { return $candidate }
    }
    return 'python3'
}

function global:Set-SimWindowsPath {
    <#
        PATH as Windows has it once the WSL package is installed: %SystemRoot%\System32, %SystemRoot%,
        %SystemRoot%\System32\Wbem first (the default system Path), then this process's own PATH (so
        the POSIX tools the tests use stay found), and %ProgramFiles%\WSL last: the WSL MSI appends
        it (microsoft/WSL msipackage/package.wix.in:56, Part="last", WSL 2.8.5 and later). Podman
        5.6 and later runs "wsl" from PATH (fakewin.py podman_wsl). Restored by Remove-SimulatedWindows.
    #>
    $system32 = Join-Path $global:WslppSim.SystemRoot 'System32'
    $folders = @($system32, $global:WslppSim.SystemRoot, (Join-Path $system32 'Wbem'), $env:PATH,
        (Join-Path $global:WslppSim.ProgramFiles 'WSL'))
    if (-not $global:WslppSim.SavedEnv.ContainsKey('PATH')) { $global:WslppSim.SavedEnv['PATH'] = $env:PATH }
    $env:PATH = $folders -join [System.IO.Path]::PathSeparator
}
