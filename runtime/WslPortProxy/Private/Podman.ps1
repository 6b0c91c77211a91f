# Podman on Windows: which podman.exe (never one from PATH), the PATH it runs with, its machine (a WSL
# distribution: its state, starting it) and the connection to it.

function Get-MachinePodmanPath {
    <#
    .SYNOPSIS
        Where the Podman installers put podman.exe for all users, in folders only administrators can write.
    .DESCRIPTION
        %ProgramFiles%\RedHat\Podman: the installer up to 5.6.x, and the setup.exe later
        (containers/podman contrib/win-installer burn.wxs); %ProgramFiles%\Podman: the MSI from
        5.7.0 installed for all users (podman-main.wxs, Scope="perUserOrMachine", machine scope).
    .OUTPUTS
        System.String: the two paths, whether they exist or not.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $programFiles = Get-EnvironmentFolder -Name 'ProgramFiles'
    Join-Path -Path (Join-Path -Path (Join-Path -Path $programFiles -ChildPath 'RedHat') -ChildPath 'Podman') `
        -ChildPath 'podman.exe'
    Join-Path -Path (Join-Path -Path $programFiles -ChildPath 'Podman') -ChildPath 'podman.exe'
}

function Get-UserPodmanPath {
    <#
    .SYNOPSIS
        %LOCALAPPDATA%\Programs\Podman\podman.exe of this account, or $null when LOCALAPPDATA is not
        a folder in the account's own profile (USERPROFILE).
    .DESCRIPTION
        Where the MSI from Podman 5.7.0 installs for one user (its default scope; containers/podman
        contrib/win-installer podman-main.wxs). The account's unelevated processes can replace it.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $local = $env:LOCALAPPDATA
    $userFolder = $env:USERPROFILE
    if (-not $local -or -not $userFolder) {
        return $null
    }
    $separators = [char[]] @('\', '/')
    $inside = $userFolder.TrimEnd($separators) + [System.IO.Path]::DirectorySeparatorChar
    $candidate = $local.TrimEnd($separators) + [System.IO.Path]::DirectorySeparatorChar
    if (-not $candidate.StartsWith($inside, [System.StringComparison]::OrdinalIgnoreCase)) {
        return $null
    }
    return Join-Path -Path (Join-Path -Path (Join-Path -Path $local -ChildPath 'Programs') -ChildPath 'Podman') `
        -ChildPath 'podman.exe'
}

function Find-PodmanProgram {
    <#
    .SYNOPSIS
        podman.exe: a machine-wide install, else this account's per-user install, else $null (never PATH).
    .DESCRIPTION
        Machine-wide installs (Get-MachinePodmanPath) come first: only administrators can write
        them. A per-user install (Get-UserPodmanPath) is used only from the account's own profile;
        Test-WslPortProxy warns about it.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $candidates = @(Get-MachinePodmanPath)
    $user = Get-UserPodmanPath
    if ($user) {
        $candidates += $user
    }
    return Find-Program -Name 'podman.exe' -Candidate $candidates
}

function Get-PodmanSearchPath {
    <#
    .SYNOPSIS
        The PATH podman.exe runs with: folders only administrators can write, the WSL package's first.
    .DESCRIPTION
        From Podman 5.6 podman machine runs "wsl" from its PATH (containers/podman
        pkg/machine/wsl/wutil/wutil.go NewWSLCommand, commit b6eeaea7f3). Windows' PATH has
        %SystemRoot%\System32 first, and the WSL package appends %ProgramFiles%\WSL last
        (microsoft/WSL msipackage/package.wix.in, WSL 2.8.5 and later), so podman would run the inbox
        System32\wsl.exe, which fails before logon (microsoft/WSL#9231). This PATH is
        %ProgramFiles%\WSL, %SystemRoot%\System32, %SystemRoot%, %SystemRoot%\System32\Wbem and
        podman.exe's own folder, in that order; the account's own PATH folders are left out.
    .OUTPUTS
        System.String: the folders, separated as PATH separates them.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Podman)
    $systemRoot = Get-EnvironmentFolder -Name 'SystemRoot'
    $system32 = Join-Path -Path $systemRoot -ChildPath 'System32'
    $folders = @(
        (Join-Path -Path (Get-EnvironmentFolder -Name 'ProgramFiles') -ChildPath 'WSL'),
        $system32,
        $systemRoot,
        (Join-Path -Path $system32 -ChildPath 'Wbem'),
        (Split-Path -Path $Podman -Parent)
    )
    $unique = @($folders | Where-Object -FilterScript { $_ } | Select-Object -Unique)
    return ($unique -join [System.IO.Path]::PathSeparator)
}

function Invoke-Podman {
    <#
    .SYNOPSIS
        Runs podman.exe with PATH from Get-PodmanSearchPath and, when given, LOCALAPPDATA pointing at
        LocalAppData; both are put back afterwards.
    .DESCRIPTION
        PATH (WSL package's folder first) is what podman 5.6 and later finds wsl.exe by;
        LOCALAPPDATA (Get-PodmanWslFolder) is what podman up to 5.5 finds it by.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $Podman,
        [Parameter(Mandatory)] [string[]] $ArgumentList,
        [AllowNull()] [AllowEmptyString()] [string] $LocalAppData,
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    $saved = $env:LOCALAPPDATA
    $savedPath = $env:PATH
    try {
        $env:PATH = Get-PodmanSearchPath -Podman $Podman
        if ($LocalAppData) {
            $env:LOCALAPPDATA = $LocalAppData
        }
        return Invoke-NativeCommand -FilePath $Podman -ArgumentList $ArgumentList -TimeoutSeconds $CommandTimeout
    }
    finally {
        $env:LOCALAPPDATA = $saved
        $env:PATH = $savedPath
    }
}

function Get-PodmanLinkFolder {
    <#
    .SYNOPSIS
        The LOCALAPPDATA folder Get-PodmanWslFolder made for podman up to 5.5, or $null when it has no link.
    .DESCRIPTION
        Reading only: the reconcile makes the link before it starts the machine; what asks podman
        later (the engine reading, the event stream) runs podman machine inspect, which runs wsl.exe
        too, with the same folder.
    .OUTPUTS
        [string]
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Directory)
    $root = Join-Path -Path $Directory -ChildPath 'podman-wsl'
    $link = Join-Path -Path (Join-Path -Path (Join-Path -Path $root -ChildPath 'Microsoft') -ChildPath 'WindowsApps') `
        -ChildPath 'wsl.exe'
    if (Test-Path -LiteralPath $link) {
        return $root
    }
    return $null
}

function Get-PodmanWslFolder {
    <#
    .SYNOPSIS
        A LOCALAPPDATA for podman in which Microsoft\WindowsApps\wsl.exe is the WSL package's wsl.exe.
    .DESCRIPTION
        podman machine up to 5.5 picks wsl.exe itself (containers/podman, pkg/machine/wsl/wutil FindWSL):
        %LOCALAPPDATA%\Microsoft\WindowsApps\wsl.exe if it exists, else System32\wsl.exe; it never
        looks at %ProgramFiles%\WSL, and PATH only when neither exists (5.6 and later take PATH:
        Get-PodmanSearchPath; the link is then unused). Before anyone logs on
        (session 0) only the WSL package's wsl.exe works (microsoft/WSL#9231,
        containers/podman#22513). So podman runs with LOCALAPPDATA set to
        <install folder>\podman-wsl, where Microsoft\WindowsApps\wsl.exe is a symbolic link to
        %ProgramFiles%\WSL\wsl.exe (made here, in the folder only administrators can write).
        Returns that folder, or $null (with a warning) when the package or the link is missing.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    $package = Join-Path -Path (Join-Path -Path (Get-EnvironmentFolder -Name 'ProgramFiles') -ChildPath 'WSL') `
        -ChildPath 'wsl.exe'
    if (-not (Test-Path -LiteralPath $package -PathType Leaf)) {
        Write-Log -Log $Log -Level WARN -Message "The WSL package ($package) is missing: podman picks its own wsl.exe."
        return $null
    }
    $root = Join-Path -Path $Directory -ChildPath 'podman-wsl'
    $apps = Join-Path -Path (Join-Path -Path $root -ChildPath 'Microsoft') -ChildPath 'WindowsApps'
    $link = Join-Path -Path $apps -ChildPath 'wsl.exe'
    $existing = Get-Item -LiteralPath $link -Force -ErrorAction SilentlyContinue
    if ($null -ne $existing -and "$(@($existing.Target)[0])" -eq $package) {
        return $root
    }
    if (-not $PSCmdlet.ShouldProcess($link, "Create a symbolic link to $package")) {
        return $root
    }
    try {
        if ($null -ne $existing) {
            Remove-Item -LiteralPath $link -Force
        }
        New-Item -Path $apps -ItemType Directory -Force | Out-Null
        New-Item -Path $link -ItemType SymbolicLink -Value $package -ErrorAction Stop | Out-Null
    }
    catch {
        Write-Log -Log $Log -Level WARN -Message ("Cannot create $link ($($_.Exception.Message)): podman picks its " +
            'own wsl.exe, which fails before logon.')
        return $null
    }
    Write-Log -Log $Log -Message "podman will use $package through $link (LOCALAPPDATA=$root)."
    return $root
}

function Get-PodmanMachineState {
    <#
    .SYNOPSIS
        The machine's state from `podman machine inspect` ('running', 'stopped', ...), or why not.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Podman,
        [Parameter(Mandatory)] [string] $Distro,
        [AllowNull()] [AllowEmptyString()] [string] $LocalAppData,
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    $result = Invoke-Podman -Podman $Podman -ArgumentList @('machine', 'inspect', $Distro) -LocalAppData $LocalAppData `
        -CommandTimeout $CommandTimeout
    if ($result.ExitCode -ne 0) {
        return "unknown (podman machine inspect exit $($result.ExitCode): $(($result.Output -join ' ').Trim()))"
    }
    try {
        foreach ($machine in (($result.Output -join "`n") | ConvertFrom-Json)) {
            return "$($machine.State)".ToLowerInvariant()
        }
    }
    catch {
        return "unknown (unreadable output of podman machine inspect: $($_.Exception.Message))"
    }
    return 'unknown (podman machine inspect listed no machine)'
}

function Start-PodmanMachine {
    <#
    .SYNOPSIS
        Starts the podman machine of the distribution unless it runs; confirms it runs (else exit 12).
    .DESCRIPTION
        Already running (podman exit 125, "already running", before 5.4 "already running or
        starting") is fine. podman runs with the LOCALAPPDATA of Get-PodmanWslFolder (up to 5.5) and
        the PATH of Get-PodmanSearchPath (5.6 and later), so that it uses the WSL package's wsl.exe.
        After a start, podman machine inspect must say running within WaitSeconds. podman.exe
        missing for the account is a warning (the distribution may be another WSL one).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Distro,
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [pscustomobject] $Log,
        [int] $WaitSeconds = 10,
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    $podman = Find-PodmanProgram
    if ($null -eq $podman) {
        Write-Log -Log $Log -Level WARN -Message ("podman.exe was not found for $env:USERDOMAIN\$env:USERNAME; " +
            "not starting podman machine $Distro.")
        return
    }
    $folder = Get-PodmanWslFolder -Directory $Directory -Log $Log
    $state = Get-PodmanMachineState -Podman $podman -Distro $Distro -LocalAppData $folder `
        -CommandTimeout $CommandTimeout
    if ($state -eq 'running' -or -not $PSCmdlet.ShouldProcess("podman machine $Distro", "Start (state: $state)")) {
        return
    }
    Write-Log -Log $Log -Message "Starting podman machine $Distro (state: $state) with $podman."
    $result = Invoke-Podman -Podman $podman -ArgumentList @('machine', 'start', $Distro) -LocalAppData $folder `
        -CommandTimeout $CommandTimeout
    $text = ($result.Output -join ' ').Trim()
    if ($result.ExitCode -ne 0 -and -not ($result.ExitCode -eq 125 -and $text -match 'already running')) {
        $message = "podman machine start $Distro failed (exit $($result.ExitCode)): $text"
        throw (New-Failure -ExitCode 12 -ErrorId 'PodmanStartFailed' -Message $message)
    }
    $deadline = (Get-Date).AddSeconds($WaitSeconds)
    while (($state = Get-PodmanMachineState -Podman $podman -Distro $Distro -LocalAppData $folder `
                -CommandTimeout $CommandTimeout) -ne 'running') {
        if ((Get-Date) -ge $deadline) {
            $message = "podman machine start $Distro reported success, but podman machine inspect says $state."
            throw (New-Failure -ExitCode 12 -ErrorId 'PodmanStartFailed' -Message $message)
        }
        Start-Sleep -Milliseconds 500
    }
    Write-Log -Log $Log -Message "podman machine $Distro is running (podman machine inspect)."
}

function Get-PodmanConnection {
    <#
    .SYNOPSIS
        podman.exe and the connection of the machine's containers (Podman, Connection); exit 13 if none.
    .DESCRIPTION
        podman machine init makes two connections: NAME (rootless) and NAME-root (rootful);
        podman machine inspect's Rootful says which one the containers run under (older podman
        versions have no Rootful: rootless). A machine that is not running is not started: an
        error (exit 13, EngineFailed) says so, as does a missing podman.exe. machine inspect runs
        wsl.exe: LocalAppData is the folder Get-PodmanLinkFolder names, for podman up to 5.5.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $Distro,
        [AllowNull()] [AllowEmptyString()] [string] $LocalAppData,
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    $podman = Find-PodmanProgram
    if ($null -eq $podman) {
        $message = "podman.exe was not found for $env:USERDOMAIN\$env:USERNAME."
        throw (New-Failure -ExitCode 13 -ErrorId 'EngineFailed' -Message $message -Category ObjectNotFound)
    }
    $inspect = Invoke-Podman -Podman $podman -ArgumentList @('machine', 'inspect', $Distro) `
        -LocalAppData $LocalAppData -CommandTimeout $CommandTimeout
    $machine = @{}
    if ($inspect.ExitCode -eq 0) {
        try {
            # Assigned first: Windows PowerShell 5.1 writes a JSON array as one object, 7 enumerates it.
            $parsed = ConvertFrom-Json -InputObject ($inspect.Output -join "`n")
            $first = @($parsed)[0]
            foreach ($property in @($first.PSObject.Properties)) {
                $machine[$property.Name] = $property.Value
            }
        }
        catch {
            Write-Verbose -Message "Unreadable output of podman machine inspect: $($_.Exception.Message)"
        }
    }
    $state = "$($machine['State'])".ToLowerInvariant()
    if ($state -ne 'running') {
        if ($state -eq '') {
            $state = 'unknown'
        }
        $message = "podman machine $Distro is not running (state: $state): its published ports cannot be read."
        throw (New-Failure -ExitCode 13 -ErrorId 'EngineFailed' -Message $message -Category ResourceUnavailable)
    }
    $connection = $Distro
    if ($machine['Rootful'] -eq $true) {
        $connection = "$Distro-root"
    }
    return [pscustomobject]@{ Podman = $podman; Connection = $connection }
}
