# The bundle: its files as its manifest.json lists them (each hash checked), copied into the install
# folder, and the record of what was installed.

function Get-BundleFile {
    <#
    .SYNOPSIS
        The files a bundle must hold, as manifest.json names them ('WslPortProxy/Private/Wsl.ps1').
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $BundlePath)
    $module = Join-Path -Path $BundlePath -ChildPath $script:WslppModuleName
    $manifestPath = Join-Path -Path $module -ChildPath "$($script:WslppModuleName).psd1"
    $manifest = Import-PowerShellDataFile -LiteralPath $manifestPath -ErrorAction Stop
    foreach ($relative in $manifest.FileList) {
        '{0}/{1}' -f $script:WslppModuleName, $relative.Replace('\', '/')
    }
    'Update-WslPortProxy.ps1', 'Install-WslPortProxy.ps1', 'Uninstall-WslPortProxy.ps1'
    $script:WslppSettingsFile, 'WslPortProxy.xml', 'README.txt'
}

function Get-BundleItemPath {
    <#
    .SYNOPSIS
        The full path of a bundle file named as in manifest.json ('a/b/c.ps1').
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $BundlePath,
        [Parameter(Mandatory)] [string] $Name
    )
    $path = $BundlePath
    foreach ($part in $Name.Split('/')) {
        $path = Join-Path -Path $path -ChildPath $part
    }
    return $path
}

function Get-BundleProblem {
    <#
    .SYNOPSIS
        Compares the bundle's files with the SHA-256 sums in its manifest.json; returns what differs.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $BundlePath)
    try {
        $text = Get-Content -LiteralPath (Join-Path -Path $BundlePath -ChildPath 'manifest.json') -Raw -Encoding UTF8 `
            -ErrorAction Stop
        $listed = ($text | ConvertFrom-Json).files
        $required = @(Get-BundleFile -BundlePath $BundlePath)
    }
    catch {
        return "manifest.json or the module manifest cannot be read ($($_.Exception.Message))"
    }
    foreach ($name in @($required | Where-Object -FilterScript { $null -eq $listed.PSObject.Properties[$_] })) {
        "$name is not listed"
    }
    foreach ($entry in $listed.PSObject.Properties) {
        $path = Get-BundleItemPath -BundlePath $BundlePath -Name $entry.Name
        if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
            "$($entry.Name) is missing"
        }
        elseif ((Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash -ne $entry.Value) {
            "$($entry.Name) was changed"
        }
    }
}

function Copy-BundleFile {
    <#
    .SYNOPSIS
        Locks the install folder, then copies the module, the entry scripts, the settings and README.txt.
    .DESCRIPTION
        Initialize-InstallDirectory checks the parent folders, moves aside an install folder
        not exactly as the installer leaves it and makes a new one locked from the start, before
        anything is copied; afterwards owner, ACL and links of everything in it are checked
        again (exit 11). The module folder is replaced whole, so no file of an
        older module version stays behind. Every installed file is unblocked (its
        Zone.Identifier mark removed).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $BundlePath,
        [Parameter(Mandatory)] [string] $Destination,
        [Parameter(Mandatory)] [string] $Account
    )
    if (-not $PSCmdlet.ShouldProcess($Destination, 'Install the module, the scripts and the settings')) {
        return
    }
    Initialize-InstallDirectory -Path $Destination -Account $Account
    $module = Join-Path -Path $Destination -ChildPath $script:WslppModuleName
    if (Test-Path -LiteralPath $module) {
        Remove-Item -LiteralPath $module -Recurse -Force
    }
    $names = @(Get-BundleFile -BundlePath $BundlePath | Where-Object -FilterScript {
            $_ -notin @('Install-WslPortProxy.ps1', 'WslPortProxy.xml')
        })
    foreach ($name in $names) {
        $target = Get-BundleItemPath -BundlePath $Destination -Name $name
        $folder = Split-Path -Path $target -Parent
        if (-not (Test-Path -LiteralPath $folder -PathType Container)) {
            New-Item -Path $folder -ItemType Directory -Force | Out-Null
        }
        Copy-Item -LiteralPath (Get-BundleItemPath -BundlePath $BundlePath -Name $name) -Destination $target -Force
        # A bundle copied from a download, a zip or a share carries Zone.Identifier: RemoteSigned
        # would refuse to run the task's scripts.
        Unblock-File -LiteralPath $target
    }
    Assert-InstallDirectory -Path $Destination
}

function Save-InstalledManifest {
    <#
    .SYNOPSIS
        Copies the bundle's manifest.json into the install folder once the bundle works there.
    .DESCRIPTION
        Written last, after a successful first reconcile: a copy means "this exact bundle is
        installed and ran" (or, for a logon task whose account is not logged on, "is installed and
        starts at that account's next logon"); after a failed install the old copy (or none) stays,
        so the next deployment tries again.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $BundlePath,
        [Parameter(Mandatory)] [string] $Directory
    )
    $target = Join-Path -Path $Directory -ChildPath 'manifest.json'
    if ($PSCmdlet.ShouldProcess($target, 'Record the installed bundle')) {
        Copy-Item -LiteralPath (Join-Path -Path $BundlePath -ChildPath 'manifest.json') -Destination $target -Force
    }
}
